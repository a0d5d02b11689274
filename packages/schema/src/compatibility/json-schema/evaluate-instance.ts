import { isSchemaObject } from './json-schema-document';
import {
  arrayItemsModel,
  compilePattern,
  declaredTypes,
  deepEqual,
  isTrivialSchema,
  jsonTypeOf,
  memberSchemas,
  numberKeyword,
  objectMembersModel,
  stringList,
  typeAccepts,
} from './schema-keywords';
import { childNode, resolveReference, type SchemaNode } from './schema-node';

/**
 * The outcome of checking one JSON value against a subschema, for the keywords the compatibility
 * rules model. `unknown` is returned where the answer depends on something not modelled (a
 * `format`, `unevaluated*` next to applicators, dynamic references), so callers can stay sound.
 */
export type InstanceEvaluation =
  | { readonly outcome: 'valid' }
  | { readonly outcome: 'invalid' | 'unknown'; readonly keyword: string; readonly pointer: string };

const VALID: InstanceEvaluation = { outcome: 'valid' };
const MAX_DEPTH = 64;

function fail(node: SchemaNode, keyword: string): InstanceEvaluation {
  return { outcome: 'invalid', keyword, pointer: `${node.pointer}/${keyword}` };
}

function unknown(node: SchemaNode, keyword: string): InstanceEvaluation {
  return { outcome: 'unknown', keyword, pointer: `${node.pointer}/${keyword}` };
}

/** Combines the results of independent keywords: any `invalid` wins, then any `unknown`. */
class Verdict {
  #unknown: InstanceEvaluation | undefined;
  #invalid: InstanceEvaluation | undefined;
  add(result: InstanceEvaluation): boolean {
    if (result.outcome === 'invalid') this.#invalid ??= result;
    else if (result.outcome === 'unknown') this.#unknown ??= result;
    return this.#invalid !== undefined;
  }
  get result(): InstanceEvaluation {
    return this.#invalid ?? this.#unknown ?? VALID;
  }
}

/** Checks `value` against the schema at `node`. */
export function evaluateInstance(node: SchemaNode, value: unknown, depth = 0): InstanceEvaluation {
  const schema = node.schema;
  if (schema === true) return VALID;
  if (schema === false) return { outcome: 'invalid', keyword: 'false', pointer: node.pointer };
  if (!isSchemaObject(schema)) return { outcome: 'unknown', keyword: 'schema', pointer: node.pointer };
  if (depth > MAX_DEPTH) return unknown(node, '$ref');
  const verdict = new Verdict();
  const checks = [checkReferences, checkGeneric, checkByType, checkCombinators];
  for (const check of checks) {
    if (verdict.add(check(node, schema, value, depth))) break;
  }
  return verdict.result;
}

type KeywordCheck = (
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  value: unknown,
  depth: number,
) => InstanceEvaluation;

const checkReferences: KeywordCheck = (node, schema, value, depth) => {
  if (schema.$recursiveRef !== undefined && node.document.dialect === '2019-09')
    return unknown(node, '$recursiveRef');
  if (schema.$dynamicRef !== undefined && node.document.dialect === '2020-12')
    return unknown(node, '$dynamicRef');
  if (schema.$ref === undefined) return VALID;
  const resolution = resolveReference(node, schema.$ref);
  if (!resolution.ok) return unknown(node, '$ref');
  return evaluateInstance(resolution.node, value, depth + 1);
};

const checkGeneric: KeywordCheck = (node, schema, value) => {
  const types = declaredTypes(schema);
  if (types !== undefined && !typeAccepts(types, jsonTypeOf(value))) return fail(node, 'type');
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => deepEqual(allowed, value))) {
    return fail(node, 'enum');
  }
  if (Object.hasOwn(schema, 'const') && !deepEqual(schema.const, value)) return fail(node, 'const');
  return VALID;
};

const checkByType: KeywordCheck = (node, schema, value, depth) => {
  if (typeof value === 'string') return checkString(node, schema, value);
  if (typeof value === 'number') return checkNumber(node, schema, value);
  if (Array.isArray(value)) return checkArray(node, schema, value, depth);
  if (isSchemaObject(value)) return checkObject(node, schema, value, depth);
  return VALID;
};

function checkString(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  value: string,
): InstanceEvaluation {
  // Ajv counts code points, not UTF-16 units.
  const length = [...value].length;
  const minLength = numberKeyword(schema, 'minLength');
  if (minLength !== undefined && length < minLength) return fail(node, 'minLength');
  const maxLength = numberKeyword(schema, 'maxLength');
  if (maxLength !== undefined && length > maxLength) return fail(node, 'maxLength');
  if (typeof schema.pattern === 'string') {
    const regex = compilePattern(schema.pattern);
    if (regex === undefined) return unknown(node, 'pattern');
    if (!regex.test(value)) return fail(node, 'pattern');
  }
  if (schema.format !== undefined) return unknown(node, 'format');
  return VALID;
}

function checkNumber(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  value: number,
): InstanceEvaluation {
  const minimum = numberKeyword(schema, 'minimum');
  if (minimum !== undefined && value < minimum) return fail(node, 'minimum');
  const maximum = numberKeyword(schema, 'maximum');
  if (maximum !== undefined && value > maximum) return fail(node, 'maximum');
  const exclusiveMinimum = numberKeyword(schema, 'exclusiveMinimum');
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) return fail(node, 'exclusiveMinimum');
  const exclusiveMaximum = numberKeyword(schema, 'exclusiveMaximum');
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) return fail(node, 'exclusiveMaximum');
  const multipleOf = numberKeyword(schema, 'multipleOf');
  // The same division Ajv performs, so floating-point quirks agree with it.
  if (multipleOf !== undefined && multipleOf > 0 && !Number.isInteger(value / multipleOf)) {
    return fail(node, 'multipleOf');
  }
  if (schema.format !== undefined) return unknown(node, 'format');
  return VALID;
}

function checkArray(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  value: readonly unknown[],
  depth: number,
): InstanceEvaluation {
  const minItems = numberKeyword(schema, 'minItems');
  if (minItems !== undefined && value.length < minItems) return fail(node, 'minItems');
  const maxItems = numberKeyword(schema, 'maxItems');
  if (maxItems !== undefined && value.length > maxItems) return fail(node, 'maxItems');
  if (schema.uniqueItems === true) {
    for (let i = 0; i < value.length; i++) {
      for (let j = i + 1; j < value.length; j++)
        if (deepEqual(value[i], value[j])) return fail(node, 'uniqueItems');
    }
  }
  const verdict = new Verdict();
  const model = arrayItemsModel(node);
  for (const [index, item] of value.entries()) {
    const itemNode = index < model.prefix.length ? model.prefix[index] : model.rest;
    if (itemNode !== undefined && verdict.add(evaluateInstance(itemNode, item, depth + 1)))
      return verdict.result;
  }
  if (model.unevaluatedUnmodelled) verdict.add(unknown(node, 'unevaluatedItems'));
  const contains = childNode(node, 'contains');
  if (contains !== undefined) verdict.add(checkContains(node, schema, contains, value, depth));
  return verdict.result;
}

function checkContains(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  contains: SchemaNode,
  value: readonly unknown[],
  depth: number,
): InstanceEvaluation {
  const counted = node.document.dialect !== 'draft-07';
  const minContains = (counted ? numberKeyword(schema, 'minContains') : undefined) ?? 1;
  const maxContains = counted ? numberKeyword(schema, 'maxContains') : undefined;
  let matches = 0;
  let undecided = 0;
  for (const item of value) {
    const outcome = evaluateInstance(contains, item, depth + 1).outcome;
    if (outcome === 'valid') matches++;
    else if (outcome === 'unknown') undecided++;
  }
  const keyword = 'contains';
  // Ajv 8 skips this check when a tuple item schema has a contains of its own: do not claim it fails.
  if (arrayItemsModel(node).prefix.some((item) => JSON.stringify(item.schema).includes('"contains"'))) {
    return matches >= minContains && maxContains === undefined ? VALID : unknown(node, keyword);
  }
  if (matches + undecided < minContains) return fail(node, keyword);
  if (maxContains !== undefined && matches > maxContains) return fail(node, keyword);
  if (matches < minContains || (maxContains !== undefined && matches + undecided > maxContains)) {
    return unknown(node, keyword);
  }
  return VALID;
}

function checkObject(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  value: Readonly<Record<string, unknown>>,
  depth: number,
): InstanceEvaluation {
  const names = Object.keys(value);
  for (const name of stringList(schema.required)) {
    if (!Object.hasOwn(value, name)) return fail(node, 'required');
  }
  const minProperties = numberKeyword(schema, 'minProperties');
  if (minProperties !== undefined && names.length < minProperties) return fail(node, 'minProperties');
  const maxProperties = numberKeyword(schema, 'maxProperties');
  if (maxProperties !== undefined && names.length > maxProperties) return fail(node, 'maxProperties');
  const verdict = new Verdict();
  const model = objectMembersModel(node);
  for (const name of names) {
    for (const member of memberSchemas(model, name)) {
      const result = evaluateInstance(member, value[name], depth + 1);
      if (result.outcome === 'invalid' && member.schema === false) {
        const keyword = member === model.additional ? 'additionalProperties' : 'properties';
        if (verdict.add({ outcome: 'invalid', keyword, pointer: member.pointer })) return verdict.result;
      } else if (verdict.add(result)) return verdict.result;
    }
    const propertyNames = childNode(node, 'propertyNames');
    if (propertyNames !== undefined && verdict.add(evaluateInstance(propertyNames, name, depth + 1))) {
      return verdict.result;
    }
  }
  if (model.unevaluatedUnmodelled) verdict.add(unknown(node, 'unevaluatedProperties'));
  verdict.add(checkDependencies(node, schema, value, depth));
  return verdict.result;
}

function checkDependencies(
  node: SchemaNode,
  schema: Readonly<Record<string, unknown>>,
  value: Readonly<Record<string, unknown>>,
  depth: number,
): InstanceEvaluation {
  const verdict = new Verdict();
  const sources: string[] = ['dependencies'];
  if (node.document.dialect !== 'draft-07') sources.push('dependentRequired', 'dependentSchemas');
  for (const keyword of sources) {
    const dependencies = schema[keyword];
    if (!isSchemaObject(dependencies)) continue;
    for (const [name, dependency] of Object.entries(dependencies)) {
      if (!Object.hasOwn(value, name)) continue;
      if (Array.isArray(dependency)) {
        if (stringList(dependency).some((needed) => !Object.hasOwn(value, needed))) {
          if (verdict.add(fail(node, keyword))) return verdict.result;
        }
      } else {
        const dependencyNode = childNode(node, keyword, name) as SchemaNode;
        if (verdict.add(evaluateInstance(dependencyNode, value, depth + 1))) return verdict.result;
      }
    }
  }
  return verdict.result;
}

const checkCombinators: KeywordCheck = (node, schema, value, depth) => {
  const verdict = new Verdict();
  if (Array.isArray(schema.allOf)) {
    for (const index of schema.allOf.keys()) {
      if (verdict.add(evaluateInstance(childNode(node, 'allOf', index) as SchemaNode, value, depth + 1))) {
        return verdict.result;
      }
    }
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = schema[keyword];
    if (!Array.isArray(branches)) continue;
    const outcomes = branches.map(
      (_, index) => evaluateInstance(childNode(node, keyword, index) as SchemaNode, value, depth + 1).outcome,
    );
    const valid = outcomes.filter((outcome) => outcome === 'valid').length;
    const undecided = outcomes.filter((outcome) => outcome === 'unknown').length;
    const result =
      keyword === 'anyOf'
        ? valid > 0
          ? VALID
          : undecided > 0
            ? unknown(node, keyword)
            : fail(node, keyword)
        : valid > 1 || valid + undecided === 0
          ? fail(node, keyword)
          : undecided === 0
            ? VALID
            : unknown(node, keyword);
    if (verdict.add(result)) return verdict.result;
  }
  const not = childNode(node, 'not');
  if (not !== undefined) {
    const outcome = evaluateInstance(not, value, depth + 1).outcome;
    if (
      verdict.add(
        outcome === 'valid' ? fail(node, 'not') : outcome === 'unknown' ? unknown(node, 'not') : VALID,
      )
    ) {
      return verdict.result;
    }
  }
  const condition = childNode(node, 'if');
  if (condition !== undefined && !isTrivialSchemaPair(schema)) {
    const outcome = evaluateInstance(condition, value, depth + 1).outcome;
    if (outcome === 'unknown') verdict.add(unknown(node, 'if'));
    else {
      const branch = childNode(node, outcome === 'valid' ? 'then' : 'else');
      if (branch !== undefined) verdict.add(evaluateInstance(branch, value, depth + 1));
    }
  }
  return verdict.result;
};

function isTrivialSchemaPair(schema: Readonly<Record<string, unknown>>): boolean {
  return (
    (schema.then === undefined || isTrivialSchema(schema.then)) &&
    (schema.else === undefined || isTrivialSchema(schema.else))
  );
}
