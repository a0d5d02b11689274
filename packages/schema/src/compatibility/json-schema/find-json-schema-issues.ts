import { isSchemaObject, type JsonSchemaDialect } from './json-schema-document';
import { compilePattern } from './schema-keywords';
import {
  childNode,
  createDocumentContext,
  nodeKey,
  resolveReference,
  rootNode,
  type SchemaDocumentContext,
  type SchemaNode,
} from './schema-node';

/** The closed list of structural problems that make a schema unusable for compatibility checks. */
export const JsonSchemaIssueKind = {
  /** A schema (the root or a subschema) is neither an object nor a boolean. */
  schemaNotObjectOrBoolean: 'SCHEMA_NOT_OBJECT_OR_BOOLEAN',
  /** A `$ref` does not resolve within the document (missing target, or not a local reference). */
  referenceUnresolved: 'REFERENCE_UNRESOLVED',
  /** `$ref`s loop back to a schema without descending into the value (validation never ends). */
  referenceCycle: 'REFERENCE_CYCLE',
  /** A keyword's value has the wrong shape (e.g. `required` not a list of strings). */
  keywordInvalid: 'KEYWORD_INVALID',
  /** A `pattern` or `patternProperties` key is not a valid ECMAScript (unicode) regular expression. */
  patternInvalid: 'PATTERN_INVALID',
} as const;

export type JsonSchemaIssueKind = (typeof JsonSchemaIssueKind)[keyof typeof JsonSchemaIssueKind];

/** One structural problem of a schema document. */
export interface JsonSchemaIssue {
  /** A JSON pointer into the schema. */
  readonly path: string;
  readonly kind: JsonSchemaIssueKind;
  readonly message: string;
}

/** Keywords whose value is one subschema. */
const SINGLE_SCHEMA = [
  'additionalItems',
  'unevaluatedItems',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'contentSchema',
] as const;
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value maps names to subschemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'] as const;
const NON_NEGATIVE_INTEGERS = [
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minContains',
  'maxContains',
] as const;
const NUMBERS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const;
const TYPE_NAMES = new Set(['null', 'boolean', 'integer', 'number', 'string', 'array', 'object']);

/**
 * Structural problems that make `schema` unusable for compatibility checking: schemas that are
 * neither objects nor booleans, `$ref`s that do not resolve locally or loop without descending,
 * and keywords with malformed values. Empty when the schema can be compared.
 */
export function findJsonSchemaIssues(schema: unknown): JsonSchemaIssue[] {
  const document = createDocumentContext('schema', schema);
  const issues: JsonSchemaIssue[] = [];
  const visited = new Set<unknown>();
  const walk = (node: SchemaNode) => {
    if (typeof node.schema === 'boolean') return;
    if (!isSchemaObject(node.schema)) {
      issues.push({
        path: node.pointer,
        kind: JsonSchemaIssueKind.schemaNotObjectOrBoolean,
        message: `expected a schema (an object or a boolean) but found ${describeValue(node.schema)}`,
      });
      return;
    }
    if (visited.has(node.schema)) return;
    visited.add(node.schema);
    issues.push(...keywordIssues(node, node.schema, document.dialect));
    for (const child of subschemas(node)) walk(child);
  };
  walk(rootNode(document));
  issues.push(...referenceCycles(document));
  return issues;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function subschemas(node: SchemaNode): SchemaNode[] {
  const schema = node.schema as Readonly<Record<string, unknown>>;
  const found: SchemaNode[] = [];
  for (const keyword of SINGLE_SCHEMA) {
    const child = childNode(node, keyword);
    if (child !== undefined) found.push(child);
  }
  for (const keyword of SCHEMA_LISTS) {
    const list = schema[keyword];
    if (Array.isArray(list)) {
      for (const index of list.keys()) found.push(childNode(node, keyword, index) as SchemaNode);
    }
  }
  for (const keyword of SCHEMA_MAPS) {
    const map = schema[keyword];
    if (isSchemaObject(map))
      for (const name of Object.keys(map)) found.push(childNode(node, keyword, name) as SchemaNode);
  }
  if (Array.isArray(schema.items)) {
    for (const index of schema.items.keys()) found.push(childNode(node, 'items', index) as SchemaNode);
  } else if (schema.items !== undefined) found.push(childNode(node, 'items') as SchemaNode);
  if (isSchemaObject(schema.dependencies)) {
    for (const [name, value] of Object.entries(schema.dependencies)) {
      if (!Array.isArray(value)) found.push(childNode(node, 'dependencies', name) as SchemaNode);
    }
  }
  return found;
}

function keywordIssues(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  dialect: JsonSchemaDialect,
): JsonSchemaIssue[] {
  const issues: JsonSchemaIssue[] = [];
  const invalid = (
    keyword: string,
    message: string,
    kind: JsonSchemaIssueKind = JsonSchemaIssueKind.keywordInvalid,
  ) => issues.push({ path: `${node.pointer}/${keyword}`, kind, message });
  if (schema.$ref !== undefined) {
    const resolution = resolveReference(node, schema.$ref);
    if (!resolution.ok) invalid('$ref', resolution.reason, JsonSchemaIssueKind.referenceUnresolved);
  }
  if (schema.type !== undefined) {
    const list = Array.isArray(schema.type) ? schema.type : [schema.type];
    const known = list.every((type) => typeof type === 'string' && TYPE_NAMES.has(type));
    if (list.length === 0 || !known || new Set(list).size !== list.length) {
      invalid('type', `must be one of ${[...TYPE_NAMES].join(', ')}, or a non-empty list of distinct ones`);
    }
  }
  if (schema.enum !== undefined && !(Array.isArray(schema.enum) && schema.enum.length > 0)) {
    invalid('enum', 'must be a non-empty list of values');
  }
  if (schema.required !== undefined && !isStringList(schema.required)) {
    invalid('required', 'must be a list of distinct strings');
  }
  for (const keyword of NON_NEGATIVE_INTEGERS) {
    const value = schema[keyword];
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
      invalid(keyword, 'must be a non-negative integer');
    }
  }
  for (const keyword of NUMBERS) {
    if (schema[keyword] !== undefined && typeof schema[keyword] !== 'number') {
      invalid(keyword, 'must be a number (draft-04 boolean exclusive bounds are not supported)');
    }
  }
  if (schema.multipleOf !== undefined && !(typeof schema.multipleOf === 'number' && schema.multipleOf > 0)) {
    invalid('multipleOf', 'must be a number greater than 0');
  }
  if (schema.pattern !== undefined) {
    if (typeof schema.pattern !== 'string') invalid('pattern', 'must be a string');
    else if (compilePattern(schema.pattern) === undefined) {
      invalid(
        'pattern',
        `/${schema.pattern}/ is not a valid regular expression`,
        JsonSchemaIssueKind.patternInvalid,
      );
    }
  }
  if (isSchemaObject(schema.patternProperties)) {
    for (const source of Object.keys(schema.patternProperties)) {
      if (compilePattern(source) === undefined) {
        invalid(
          `patternProperties/${source.replaceAll('~', '~0').replaceAll('/', '~1')}`,
          `/${source}/ is not a valid regular expression`,
          JsonSchemaIssueKind.patternInvalid,
        );
      }
    }
  }
  if (dialect === '2020-12' && Array.isArray(schema.items)) {
    invalid('items', 'must be a schema in draft 2020-12 (use prefixItems for tuples)');
  }
  for (const keyword of SCHEMA_MAPS) {
    if (schema[keyword] !== undefined && !isSchemaObject(schema[keyword]))
      invalid(keyword, 'must be an object');
  }
  for (const keyword of SCHEMA_LISTS) {
    const list = schema[keyword];
    if (list !== undefined && (!Array.isArray(list) || (keyword !== 'prefixItems' && list.length === 0))) {
      invalid(keyword, 'must be a non-empty list of schemas');
    }
  }
  return issues;
}

function isStringList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'string') &&
    new Set(value).size === value.length
  );
}

/** Keywords that apply a subschema to the same value (no descent into it). */
const IN_PLACE = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas'] as const;

/**
 * `$ref` chains that come back to where they started through in-place applicators only: Ajv
 * would recurse forever on any value.
 */
function referenceCycles(document: SchemaDocumentContext): JsonSchemaIssue[] {
  const issues: JsonSchemaIssue[] = [];
  const reported = new Set<string>();
  const inPlace = (node: SchemaNode): SchemaNode[] => {
    const schema = node.schema;
    if (!isSchemaObject(schema)) return [];
    const next: SchemaNode[] = [];
    if (schema.$ref !== undefined) {
      const resolution = resolveReference(node, schema.$ref);
      if (resolution.ok) next.push(resolution.node);
    }
    for (const keyword of IN_PLACE) {
      const value = schema[keyword];
      if (Array.isArray(value)) {
        for (const index of value.keys()) next.push(childNode(node, keyword, index) as SchemaNode);
      } else if (isSchemaObject(value) && keyword === 'dependentSchemas') {
        for (const name of Object.keys(value)) next.push(childNode(node, keyword, name) as SchemaNode);
      } else if (value !== undefined) next.push(childNode(node, keyword) as SchemaNode);
    }
    return next;
  };
  const starts: SchemaNode[] = [];
  const collect = (node: SchemaNode, seen: Set<unknown>) => {
    if (!isSchemaObject(node.schema) || seen.has(node.schema)) return;
    seen.add(node.schema);
    if (node.schema.$ref !== undefined) starts.push(node);
    for (const child of subschemas(node)) collect(child, seen);
  };
  collect(rootNode(document), new Set());
  for (const start of starts) {
    const stack: SchemaNode[] = [start];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const node = stack.pop() as SchemaNode;
      for (const next of inPlace(node)) {
        if (nodeKey(next) === nodeKey(start)) {
          if (!reported.has(nodeKey(start))) {
            reported.add(nodeKey(start));
            issues.push({
              path: `${start.pointer}/$ref`,
              kind: JsonSchemaIssueKind.referenceCycle,
              message:
                'this $ref leads back here without descending into the value, so validation would never end',
            });
          }
        } else if (!seen.has(nodeKey(next))) {
          seen.add(nodeKey(next));
          stack.push(next);
        }
      }
    }
  }
  return issues;
}
