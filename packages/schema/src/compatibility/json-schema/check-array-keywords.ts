import type { ReadIncompatibility } from '../read-compatibility';
import {
  type ComparisonContext,
  incompatibility,
  Kind,
  summarize,
  type WriterPart,
} from './comparison-context';
import { arrayItemsModel, describeJson, isTrivialSchema, numberKeyword } from './schema-keywords';
import { childNode, type SchemaNode } from './schema-node';

type SchemaRecord = Readonly<Record<string, unknown>>;

function minOf(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

/** Item schemas, length bounds, uniqueItems and contains against what the writer guarantees for arrays. */
export function checkArrayKeywords(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const schema = reader.schema as SchemaRecord;
  const writers = part.branch.nodes;
  const writerModels = writers.map(arrayItemsModel);
  const found: ReadIncompatibility[] = [];

  // The longest array the writer may write: maxItems, or the end of a closed tuple.
  const writerMaxItems = minOf([
    ...writers.map((w) => numberKeyword(w.schema as SchemaRecord, 'maxItems')),
    ...writerModels.map((m) => (m.rest?.schema === false ? m.prefix.length : undefined)),
  ]);
  const writerMinItems = Math.max(
    0,
    ...writers.map((w) => numberKeyword(w.schema as SchemaRecord, 'minItems') ?? 0),
  );

  const readerMinItems = numberKeyword(schema, 'minItems');
  if (readerMinItems !== undefined && readerMinItems > writerMinItems) {
    found.push(
      incompatibility(
        `${reader.pointer}/minItems`,
        Kind.minItemsIncreased,
        `reader requires at least ${readerMinItems} items, but the writer allows ${writerMinItems}`,
      ),
    );
  }
  const readerMaxItems = numberKeyword(schema, 'maxItems');
  if (readerMaxItems !== undefined && (writerMaxItems === undefined || writerMaxItems > readerMaxItems)) {
    found.push(
      incompatibility(
        `${reader.pointer}/maxItems`,
        Kind.maxItemsDecreased,
        `reader allows at most ${readerMaxItems} items, but the writer allows ${
          writerMaxItems === undefined ? 'any number' : writerMaxItems
        }`,
      ),
    );
  }
  if (
    schema.uniqueItems === true &&
    !writers.some((w) => (w.schema as SchemaRecord).uniqueItems === true) &&
    !(writerMaxItems !== undefined && writerMaxItems <= 1)
  ) {
    found.push(
      incompatibility(
        `${reader.pointer}/uniqueItems`,
        Kind.uniqueItemsAdded,
        'reader requires unique items, but the writer may repeat an item',
      ),
    );
  }
  found.push(...checkItems(context, reader, part, writerMaxItems));
  found.push(...checkContains(context, reader, part));
  return found;
}

function checkItems(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
  writerMaxItems: number | undefined,
): ReadIncompatibility[] {
  const readerModel = arrayItemsModel(reader);
  const writerModels = part.branch.nodes.map(arrayItemsModel);
  const found: ReadIncompatibility[] = [];
  if (readerModel.unevaluatedUnmodelled) {
    found.push(
      incompatibility(
        `${reader.pointer}/unevaluatedItems`,
        Kind.unsupportedKeywordChanged,
        'reader constrains unevaluatedItems next to in-place applicators, which is not modelled; reported as a possible break',
      ),
    );
  }
  const writerItem = (index: number): SchemaNode[] | 'absent' => {
    const nodes = writerModels
      .map((m) => (index < m.prefix.length ? m.prefix[index] : m.rest))
      .filter((node): node is SchemaNode => node !== undefined);
    return nodes.some((node) => node.schema === false) ? 'absent' : nodes;
  };
  const tupleLength = Math.max(readerModel.prefix.length, ...writerModels.map((m) => m.prefix.length));
  for (let index = 0; index <= tupleLength; index++) {
    if (writerMaxItems !== undefined && index >= writerMaxItems) break;
    const atRest = index === tupleLength;
    const writerNodes = writerItem(index);
    if (writerNodes === 'absent') break;
    const readerNode = index < readerModel.prefix.length ? readerModel.prefix[index] : readerModel.rest;
    if (readerNode === undefined || isTrivialSchema(readerNode.schema)) continue;
    const nested = context.compare([readerNode], writerNodes, true);
    if (nested.length === 0) continue;
    const readerPositional = index < readerModel.prefix.length;
    const writerPositional = writerModels.some((m) => index < m.prefix.length);
    const where = atRest ? `from item ${index} on` : `item ${index}`;
    if (readerNode.schema === false) {
      found.push(
        incompatibility(
          readerNode.pointer,
          Kind.additionalItemsNarrowed,
          `reader allows at most ${index} items, but the writer may write more`,
        ),
      );
      break;
    } else if (readerPositional === writerPositional) {
      found.push(...nested);
    } else if (readerPositional) {
      found.push(
        incompatibility(
          readerNode.pointer,
          Kind.tupleItemsChanged,
          `reader expects ${where} to be ${describeJson(readerNode.schema)}, which the writer's item schema does not guarantee: ${summarize(nested)}`,
        ),
      );
    } else {
      found.push(
        incompatibility(
          readerNode.pointer,
          Kind.additionalItemsNarrowed,
          `reader's schema for items past its tuple does not cover ${where} as the writer may write it: ${summarize(nested)}`,
        ),
      );
    }
  }
  return found;
}

function checkContains(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const schema = reader.schema as SchemaRecord;
  const contains = childNode(reader, 'contains');
  if (contains === undefined) return [];
  const counted = reader.document.dialect !== 'draft-07';
  const readerMin = (counted ? numberKeyword(schema, 'minContains') : undefined) ?? 1;
  const readerMax = counted ? numberKeyword(schema, 'maxContains') : undefined;
  if (readerMin === 0 && readerMax === undefined) return [];
  const guaranteed =
    readerMax === undefined &&
    part.branch.nodes.some((writer) => {
      const writerContains = childNode(writer, 'contains');
      if (writerContains === undefined || tupleMentionsContains(writer)) return false;
      const writerCounted = writer.document.dialect !== 'draft-07';
      const writerMin =
        (writerCounted ? numberKeyword(writer.schema as SchemaRecord, 'minContains') : undefined) ?? 1;
      return writerMin >= readerMin && context.covers([contains], [writerContains], true);
    });
  if (guaranteed) return [];
  return [
    incompatibility(
      `${reader.pointer}/contains`,
      Kind.containsNarrowed,
      `reader requires ${readerMax === undefined ? `at least ${readerMin}` : `between ${readerMin} and ${readerMax}`} items matching ${describeJson(contains.schema)}, which the writer does not guarantee`,
    ),
  ];
}

/**
 * Ajv 8 (checked with 8.20) ignores an array's `contains` when one of its tuple item schemas has
 * a `contains` of its own: `{items: [{contains: A}], contains: B}` accepts `[]`. Such a writer
 * `contains` is not relied on.
 */
function tupleMentionsContains(writer: SchemaNode): boolean {
  return arrayItemsModel(writer).prefix.some((item) => JSON.stringify(item.schema).includes('"contains"'));
}
