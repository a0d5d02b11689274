import type { ReadIncompatibility } from '../read-compatibility';
import {
  type ComparisonContext,
  incompatibility,
  isEmptyPart,
  Kind,
  restrictPart,
  summarize,
  type WriterPart,
} from './comparison-context';
import { definitelyDisjoint } from './definitely-disjoint';
import { deepEqual, describeTypes, isSelfContained, isTrivialSchema, type JsonType } from './schema-keywords';
import { childNode, type SchemaNode } from './schema-node';

type SchemaRecord = Readonly<Record<string, unknown>>;

function branchesOf(node: SchemaNode, keyword: string): SchemaNode[] {
  const list = (node.schema as SchemaRecord)[keyword];
  return Array.isArray(list) ? list.map((_, index) => childNode(node, keyword, index) as SchemaNode) : [];
}

/** One part per type, so that each type may find its own reader branch. */
function partsByType(part: WriterPart): WriterPart[] {
  return [...part.types]
    .map((type) => restrictPart(part, new Set<JsonType>([type])))
    .filter((piece) => !isEmptyPart(piece));
}

/** anyOf: every writer part must fit at least one reader branch. */
export function checkAnyOf(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const branches = branchesOf(reader, 'anyOf');
  if (branches.length === 0 || branches.some((branch) => isTrivialSchema(branch.schema))) return [];
  const unmatched: JsonType[] = [];
  let closest: ReadIncompatibility[] | undefined;
  for (const piece of partsByType(part)) {
    let best: ReadIncompatibility[] | undefined;
    for (const branch of branches) {
      const found = context.checkReader(branch, piece);
      if (found.length === 0) {
        best = undefined;
        break;
      }
      if (best === undefined || found.length < best.length) best = found;
    }
    if (best !== undefined) {
      unmatched.push(...piece.types);
      closest ??= best;
    }
  }
  if (unmatched.length === 0) return [];
  return [
    incompatibility(
      `${reader.pointer}/anyOf`,
      Kind.combinationNarrowed,
      `the writer may write ${describeTypes(unmatched)} values that match none of the reader's anyOf branches; closest branch: ${summarize(closest ?? [])}`,
    ),
  ];
}

/** oneOf: every writer part must fit one reader branch and be disjoint from all the others. */
export function checkOneOf(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const branches = branchesOf(reader, 'oneOf');
  if (branches.length === 0) return [];
  const unmatched: JsonType[] = [];
  let ambiguous = false;
  let closest: ReadIncompatibility[] | undefined;
  for (const piece of partsByType(part)) {
    const results = branches.map((branch) => context.checkReader(branch, piece));
    const fitting = branches.filter((_, index) => results[index]?.length === 0);
    const exclusive = fitting.some((branch) =>
      branches.every((other) => other === branch || definitelyDisjoint(context, piece, other)),
    );
    if (exclusive) continue;
    unmatched.push(...piece.types);
    if (fitting.length > 0) ambiguous = true;
    for (const result of results)
      if (closest === undefined || result.length < closest.length) closest = result;
  }
  if (unmatched.length === 0) return [];
  return [
    incompatibility(
      `${reader.pointer}/oneOf`,
      Kind.combinationNarrowed,
      ambiguous
        ? `the writer may write ${describeTypes(unmatched)} values that the reader's oneOf cannot be shown to match exactly once (branches may overlap; reported as a possible break)`
        : `the writer may write ${describeTypes(unmatched)} values that match none of the reader's oneOf branches; closest branch: ${summarize(closest ?? [])}`,
    ),
  ];
}

/** not: the writer must never write a value the excluded schema accepts. */
export function checkNot(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const excluded = childNode(reader, 'not');
  if (excluded === undefined) return [];
  if (definitelyDisjoint(context, part, excluded)) return [];
  // The writer excludes a wider set itself: not(W) ⊆ not(R) when R ⊆ W.
  const writerExcludes = part.branch.nodes.some((writer) => {
    const writerExcluded = childNode(writer, 'not');
    return writerExcluded !== undefined && context.covers([writerExcluded], [excluded], false);
  });
  if (writerExcludes) return [];
  return [
    incompatibility(
      excluded.pointer,
      Kind.notAdded,
      `reader rejects values matching ${JSON.stringify(excluded.schema)}, which the writer does not exclude`,
    ),
  ];
}

/** if/then/else: each writer part must satisfy the branch it can reach. */
export function checkConditional(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const schema = reader.schema as SchemaRecord;
  const condition = childNode(reader, 'if');
  const then = childNode(reader, 'then');
  const otherwise = childNode(reader, 'else');
  if (condition === undefined) return [];
  const thenTrivial = then === undefined || isTrivialSchema(then.schema);
  const elseTrivial = otherwise === undefined || isTrivialSchema(otherwise.schema);
  if (thenTrivial && elseTrivial) return [];
  const sameInWriter = part.branch.nodes.some((writer) => {
    const other = writer.schema as SchemaRecord;
    return (
      writer.document.dialect === reader.document.dialect &&
      ['if', 'then', 'else'].every(
        (key) => deepEqual(other[key], schema[key]) && isSelfContained(schema[key]),
      )
    );
  });
  if (sameInWriter) return [];
  const thenHolds =
    thenTrivial ||
    definitelyDisjoint(context, part, condition) ||
    context.checkReader(then as SchemaNode, part).length === 0;
  const elseHolds =
    elseTrivial ||
    context.checkReader(otherwise as SchemaNode, part).length === 0 ||
    context.checkReader(condition, part).length === 0;
  if (thenHolds && elseHolds) return [];
  return [
    incompatibility(
      `${reader.pointer}/${thenHolds ? 'else' : 'then'}`,
      Kind.conditionalNarrowed,
      `reader's if/then/else may reject values the writer allows (the writer does not guarantee the "${
        thenHolds ? 'else' : 'then'
      }" branch where it applies; reported as a possible break)`,
    ),
  ];
}
