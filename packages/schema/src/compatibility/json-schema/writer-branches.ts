import { evaluateInstance } from './evaluate-instance';
import { isSchemaObject } from './json-schema-document';
import {
  ALL_JSON_TYPES,
  declaredTypes,
  deepEqual,
  intersectTypes,
  isTrivialSchema,
  type JsonType,
  jsonTypeOf,
  typeAccepts,
} from './schema-keywords';
import { childNode, nodeKey, resolveReference, type SchemaNode } from './schema-node';

/**
 * One alternative of what a writer schema allows, as a conjunction of schema objects whose
 * in-place applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else`) were unfolded.
 *
 * A branch may allow more than the writer does (an unfolded `oneOf` becomes an `anyOf`, `not` is
 * ignored, an `if` becomes "then or else"), never less: over-approximating the writer keeps the
 * rules sound.
 */
export interface WriterBranch {
  readonly nodes: readonly SchemaNode[];
  /** The types the branch allows; `number` (with integers) and `integer` never both appear. */
  readonly types: ReadonlySet<JsonType>;
  /** Every value the branch allows, when that is a known finite list (enum, const, null, boolean). */
  readonly values: readonly unknown[] | undefined;
  readonly key: string;
}

/** Expanding a writer beyond this many alternatives stops: the rest stay unfolded (allowed). */
const MAX_ALTERNATIVES = 64;

type Pending = { readonly node: SchemaNode } | { readonly choice: readonly SchemaNode[] };

interface ExpansionBudget {
  alternatives: number;
}

const ANY_TYPE: ReadonlySet<JsonType> = new Set(ALL_JSON_TYPES.filter((type) => type !== 'integer'));

export function expandWriterBranches(nodes: readonly SchemaNode[]): WriterBranch[] {
  const conjunctions = unfold(
    nodes.map((node) => ({ node })),
    [],
    new Set(),
    { alternatives: 1 },
  );
  const branches: WriterBranch[] = [];
  for (const conjunction of conjunctions) {
    const branch = toBranch(conjunction);
    if (branch !== undefined) branches.push(branch);
  }
  return branches;
}

function unfold(
  pending: readonly Pending[],
  conjunction: readonly SchemaNode[],
  refsInPlay: ReadonlySet<string>,
  budget: ExpansionBudget,
): SchemaNode[][] {
  const [next, ...rest] = pending;
  if (next === undefined) return [[...conjunction]];
  if ('choice' in next) {
    return next.choice.flatMap((option) =>
      unfold([{ node: option }, ...rest], conjunction, refsInPlay, budget),
    );
  }
  const { node } = next;
  const schema = node.schema;
  if (schema === false) return [];
  if (!isSchemaObject(schema) || isTrivialSchema(schema))
    return unfold(rest, conjunction, refsInPlay, budget);
  const more: Pending[] = [];
  let refs = refsInPlay;
  if (schema.$ref !== undefined) {
    const resolution = resolveReference(node, schema.$ref);
    // An unresolvable or looping reference is dropped: the writer then allows more, never less.
    if (resolution.ok && !refsInPlay.has(nodeKey(resolution.node))) {
      refs = new Set([...refsInPlay, nodeKey(resolution.node)]);
      more.push({ node: resolution.node });
    }
  }
  if (Array.isArray(schema.allOf)) {
    for (const index of schema.allOf.keys())
      more.push({ node: childNode(node, 'allOf', index) as SchemaNode });
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const options = schema[keyword];
    if (!Array.isArray(options) || options.length === 0) continue;
    const choice = options.map((_, index) => childNode(node, keyword, index) as SchemaNode);
    if (admit(budget, choice.length)) more.push({ choice });
  }
  if (schema.if !== undefined && (schema.then !== undefined || schema.else !== undefined)) {
    const anything = { document: node.document, schema: true, pointer: node.pointer };
    const choice = [childNode(node, 'then') ?? anything, childNode(node, 'else') ?? anything];
    if (admit(budget, 2)) more.push({ choice });
  }
  return unfold([...more, ...rest], [...conjunction, node], refs, budget);
}

function admit(budget: ExpansionBudget, options: number): boolean {
  if (budget.alternatives * options > MAX_ALTERNATIVES) return false;
  budget.alternatives *= options;
  return true;
}

function toBranch(nodes: readonly SchemaNode[]): WriterBranch | undefined {
  let types: ReadonlySet<JsonType> = ANY_TYPE;
  let values: unknown[] | undefined;
  for (const node of nodes) {
    const schema = node.schema as Readonly<Record<string, unknown>>;
    const declared = declaredTypes(schema);
    if (declared !== undefined) types = intersectTypes(types, declared);
    const listed = Array.isArray(schema.enum)
      ? schema.enum
      : Object.hasOwn(schema, 'const')
        ? [schema.const]
        : undefined;
    if (listed !== undefined) {
      values =
        values === undefined
          ? [...listed]
          : values.filter((value) => listed.some((v) => deepEqual(v, value)));
    }
  }
  if (
    values === undefined &&
    types.size > 0 &&
    [...types].every((type) => type === 'null' || type === 'boolean')
  ) {
    values = [...(types.has('null') ? [null] : []), ...(types.has('boolean') ? [true, false] : [])];
  }
  if (values !== undefined) {
    const allowedTypes = types;
    values = values.filter(
      (value) =>
        typeAccepts(allowedTypes, jsonTypeOf(value)) &&
        nodes.every((node) => evaluateInstance(node, value).outcome !== 'invalid'),
    );
    types = new Set(values.map(jsonTypeOf));
    if (types.has('number')) (types as Set<JsonType>).delete('integer');
    if (values.length === 0) return undefined;
  }
  if (types.size === 0) return undefined;
  return { nodes, types, values, key: nodes.map(nodeKey).join('&') };
}
