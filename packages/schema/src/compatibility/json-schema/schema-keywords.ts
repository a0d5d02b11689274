import { isSchemaObject } from './json-schema-document';
import { childNode, type SchemaNode } from './schema-node';

/** JSON Schema's instance types; `number` includes the integers. */
export type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

export const ALL_JSON_TYPES: readonly JsonType[] = [
  'null',
  'boolean',
  'integer',
  'number',
  'string',
  'array',
  'object',
];

function isJsonType(value: unknown): value is JsonType {
  return typeof value === 'string' && (ALL_JSON_TYPES as readonly string[]).includes(value);
}

/** The type of a JSON value, as the type keyword sees it (`integer` for whole numbers). */
export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

/** Whether a value of `valueType` is accepted by a `type` list containing `types`. */
export function typeAccepts(types: ReadonlySet<JsonType>, valueType: JsonType): boolean {
  return types.has(valueType) || (valueType === 'integer' && types.has('number'));
}

/**
 * The types a schema object's own `type` keyword allows (with OpenAPI's `nullable`, which Ajv
 * honours), or `undefined` when it does not restrict types.
 */
export function declaredTypes(schema: Readonly<Record<string, unknown>>): Set<JsonType> | undefined {
  const raw = schema.type;
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  const types = new Set<JsonType>(list.filter(isJsonType));
  if (schema.nullable === true) types.add('null');
  return types;
}

/** Intersects two type sets, where `number` ∩ `integer` is `integer`. */
export function intersectTypes(left: ReadonlySet<JsonType>, right: ReadonlySet<JsonType>): Set<JsonType> {
  const result = new Set<JsonType>();
  for (const type of left) {
    if (right.has(type)) result.add(type);
    else if (type === 'number' && right.has('integer')) result.add('integer');
    else if (type === 'integer' && right.has('number')) result.add('integer');
  }
  if (result.has('number')) result.delete('integer');
  return result;
}

export function describeTypes(types: Iterable<JsonType>): string {
  const list = [...types];
  if (list.length <= 1) return list[0] ?? 'nothing';
  return `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
}

export function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => deepEqual(item, right[index]));
  }
  const leftRecord = left as Record<string, unknown>;
  const rightRecord = right as Record<string, unknown>;
  const keys = Object.keys(leftRecord);
  if (keys.length !== Object.keys(rightRecord).length) return false;
  return keys.every((key) => Object.hasOwn(rightRecord, key) && deepEqual(leftRecord[key], rightRecord[key]));
}

/**
 * Keywords that constrain instances (for at least one draft). Anything else — `title`,
 * `description`, `default`, `examples`, `$comment`, `x-*`, `javaType`... — is an annotation: Inlet
 * compiles schemas with `strict: false`, so Ajv ignores unknown keywords.
 */
const ASSERTION_KEYWORDS = new Set([
  '$ref',
  '$recursiveRef',
  '$dynamicRef',
  'type',
  'nullable',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'items',
  'prefixItems',
  'additionalItems',
  'unevaluatedItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'minContains',
  'maxContains',
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'required',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
]);

/** A schema every instance satisfies: `true`, `{}`, or an object holding only annotations. */
export function isTrivialSchema(schema: unknown): boolean {
  if (schema === true) return true;
  if (!isSchemaObject(schema)) return false;
  return Object.keys(schema).every((key) => !ASSERTION_KEYWORDS.has(key));
}

/** Whether a schema holds no reference, so that equal text means equal meaning in any document. */
export function isSelfContained(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return true;
  if (Array.isArray(schema)) return schema.every(isSelfContained);
  const record = schema as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key === '$ref' || key === '$recursiveRef' || key === '$dynamicRef') return false;
    if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') continue;
    if (!isSelfContained(value)) return false;
  }
  return true;
}

/** Keywords applying subschemas to the same instance; `unevaluated*` depends on them. */
const IN_PLACE_APPLICATORS = [
  '$ref',
  '$recursiveRef',
  '$dynamicRef',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'dependentSchemas',
];

function usesUnevaluated(node: SchemaNode): boolean {
  return node.document.dialect !== 'draft-07';
}

/** Where the node's positional item schemas and the schema for further items come from. */
export interface ArrayItemsModel {
  readonly prefix: readonly SchemaNode[];
  /** Schema for items after the prefix; `undefined` means any item. */
  readonly rest: SchemaNode | undefined;
  /** Whether `items` is the list form (a single schema for every item, no prefix). */
  readonly uniform: boolean;
  /** True when `unevaluatedItems` could not be folded into `rest`. */
  readonly unevaluatedUnmodelled: boolean;
}

export function arrayItemsModel(node: SchemaNode): ArrayItemsModel {
  const schema = node.schema;
  if (!isSchemaObject(schema))
    return { prefix: [], rest: undefined, uniform: true, unevaluatedUnmodelled: false };
  let prefix: SchemaNode[] = [];
  let rest: SchemaNode | undefined;
  if (node.document.dialect === '2020-12') {
    if (Array.isArray(schema.prefixItems)) {
      prefix = schema.prefixItems.map((_, index) => childNode(node, 'prefixItems', index) as SchemaNode);
    }
    if (schema.items !== undefined && !Array.isArray(schema.items)) rest = childNode(node, 'items');
  } else if (Array.isArray(schema.items)) {
    prefix = schema.items.map((_, index) => childNode(node, 'items', index) as SchemaNode);
    if (schema.additionalItems !== undefined) rest = childNode(node, 'additionalItems');
  } else if (schema.items !== undefined) rest = childNode(node, 'items');
  let unevaluatedUnmodelled = false;
  if (
    usesUnevaluated(node) &&
    schema.unevaluatedItems !== undefined &&
    !isTrivialSchema(schema.unevaluatedItems)
  ) {
    // Without in-place applicators (or contains), unevaluatedItems covers exactly the items that
    // neither the prefix nor the rest schema evaluated; with them, it is not modelled.
    const foldable =
      !IN_PLACE_APPLICATORS.some((key) => schema[key] !== undefined) && schema.contains === undefined;
    if (!foldable) unevaluatedUnmodelled = true;
    else if (rest === undefined) rest = childNode(node, 'unevaluatedItems');
  }
  return { prefix, rest, uniform: prefix.length === 0, unevaluatedUnmodelled };
}

/** Where the node's schemas for object members come from. */
export interface ObjectMembersModel {
  readonly properties: ReadonlyMap<string, SchemaNode>;
  readonly patterns: readonly {
    readonly source: string;
    readonly regex: RegExp | undefined;
    readonly node: SchemaNode;
  }[];
  /** Schema for members matched by neither; `undefined` means any value (an open content model). */
  readonly additional: SchemaNode | undefined;
  /** True when `unevaluatedProperties` could not be folded into `additional`. */
  readonly unevaluatedUnmodelled: boolean;
}

/** Compiles a pattern the way Ajv does (ECMAScript, unicode flag); `undefined` when invalid. */
export function compilePattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    return undefined;
  }
}

export function objectMembersModel(node: SchemaNode): ObjectMembersModel {
  const schema = node.schema;
  const properties = new Map<string, SchemaNode>();
  const patterns: { source: string; regex: RegExp | undefined; node: SchemaNode }[] = [];
  if (!isSchemaObject(schema))
    return { properties, patterns, additional: undefined, unevaluatedUnmodelled: false };
  if (isSchemaObject(schema.properties)) {
    for (const name of Object.keys(schema.properties)) {
      properties.set(name, childNode(node, 'properties', name) as SchemaNode);
    }
  }
  if (isSchemaObject(schema.patternProperties)) {
    for (const source of Object.keys(schema.patternProperties)) {
      patterns.push({
        source,
        regex: compilePattern(source),
        node: childNode(node, 'patternProperties', source) as SchemaNode,
      });
    }
  }
  let additional =
    schema.additionalProperties === undefined ? undefined : childNode(node, 'additionalProperties');
  let unevaluatedUnmodelled = false;
  if (
    usesUnevaluated(node) &&
    schema.unevaluatedProperties !== undefined &&
    !isTrivialSchema(schema.unevaluatedProperties)
  ) {
    const foldable = !IN_PLACE_APPLICATORS.some((key) => schema[key] !== undefined);
    if (foldable && additional === undefined) additional = childNode(node, 'unevaluatedProperties');
    else if (!foldable) unevaluatedUnmodelled = true;
  }
  return { properties, patterns, additional, unevaluatedUnmodelled };
}

/**
 * The schemas that apply to member `name` of an object under this node: its `properties` entry
 * and every matching `patternProperties` entry, else `additionalProperties`. An empty list means
 * nothing constrains it. `undefined` entries never occur; an unknown regex is assumed to match.
 */
export function memberSchemas(model: ObjectMembersModel, name: string): SchemaNode[] {
  const result: SchemaNode[] = [];
  const declared = model.properties.get(name);
  if (declared !== undefined) result.push(declared);
  let matched = false;
  for (const pattern of model.patterns) {
    if (pattern.regex === undefined || pattern.regex.test(name)) {
      result.push(pattern.node);
      matched = true;
    }
  }
  if (declared === undefined && !matched && model.additional !== undefined) result.push(model.additional);
  return result;
}

export function numberKeyword(schema: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = schema[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A short rendering of a schema or value for messages. */
export function describeJson(value: unknown, limit = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}
