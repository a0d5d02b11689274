import type { ReadIncompatibility } from '../read-compatibility';
import { incompatibility, Kind, type WriterPart } from './comparison-context';
import { evaluateInstance } from './evaluate-instance';
import { isSchemaObject } from './json-schema-document';
import type { JsonSchemaIncompatibilityKind } from './json-schema-incompatibility-kind';
import { describeJson } from './schema-keywords';
import { nodeAtPointer, type SchemaNode } from './schema-node';

/** The kind for a value rejected by `keyword`, when the writer's values are a finite list. */
function kindForKeyword(keyword: string, writerEnumerates: boolean): JsonSchemaIncompatibilityKind {
  switch (keyword) {
    case 'enum':
      return writerEnumerates ? Kind.enumValueRemoved : Kind.enumAdded;
    case 'const':
      return writerEnumerates ? Kind.constChanged : Kind.constAdded;
    case 'type':
      return Kind.typeNarrowed;
    case 'false':
      return Kind.falseSchema;
    case 'minLength':
      return Kind.minLengthIncreased;
    case 'maxLength':
      return Kind.maxLengthDecreased;
    case 'pattern':
      return Kind.patternAdded;
    case 'format':
      return Kind.formatAdded;
    case 'minimum':
      return Kind.minimumIncreased;
    case 'maximum':
      return Kind.maximumDecreased;
    case 'exclusiveMinimum':
      return Kind.exclusiveMinimumIncreased;
    case 'exclusiveMaximum':
      return Kind.exclusiveMaximumDecreased;
    case 'multipleOf':
      return Kind.multipleOfChanged;
    case 'minItems':
      return Kind.minItemsIncreased;
    case 'maxItems':
      return Kind.maxItemsDecreased;
    case 'uniqueItems':
      return Kind.uniqueItemsAdded;
    case 'contains':
      return Kind.containsNarrowed;
    case 'required':
      return Kind.requiredPropertyAdded;
    case 'properties':
      return Kind.propertyRemovedFromClosedModel;
    case 'additionalProperties':
      return Kind.additionalPropertiesNarrowed;
    case 'minProperties':
      return Kind.minPropertiesIncreased;
    case 'maxProperties':
      return Kind.maxPropertiesDecreased;
    case 'dependencies':
    case 'dependentRequired':
      return Kind.dependentRequiredAdded;
    case 'anyOf':
    case 'oneOf':
      return Kind.combinationNarrowed;
    case 'not':
      return Kind.notAdded;
    case 'if':
      return Kind.conditionalNarrowed;
    case '$ref':
      return Kind.referenceUnresolved;
    default:
      return Kind.unsupportedKeywordChanged;
  }
}

/**
 * When the writer's values are a known finite list (enum, const, null, boolean), each value is
 * checked against the reader directly: the answer is exact except where a keyword is not modelled.
 */
export function checkFiniteValues(
  reader: SchemaNode,
  part: WriterPart,
  values: readonly unknown[],
): ReadIncompatibility[] {
  const writerEnumerates = part.branch.nodes.some(
    (node) =>
      isSchemaObject(node.schema) && (Array.isArray(node.schema.enum) || Object.hasOwn(node.schema, 'const')),
  );
  const groups = new Map<
    string,
    { pointer: string; keyword: string; undecided: boolean; values: unknown[] }
  >();
  const evaluated = withoutFormatTheWriterGuarantees(reader, part);
  for (const value of values) {
    const result = evaluateInstance(evaluated, value);
    if (result.outcome === 'valid') continue;
    const key = `${result.outcome}\u0000${result.pointer}`;
    const group = groups.get(key) ?? {
      pointer: result.pointer,
      keyword: result.keyword,
      undecided: result.outcome === 'unknown',
      values: [],
    };
    group.values.push(value);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => {
    const shown = group.values.map((value) => describeJson(value, 40)).join(', ');
    if (group.undecided) {
      return incompatibility(
        group.pointer,
        group.keyword === 'format' ? Kind.formatAdded : Kind.unsupportedKeywordChanged,
        `cannot tell whether the reader accepts ${shown}, which the writer may write ("${group.keyword}" is not modelled here); reported as a possible break`,
      );
    }
    const kind = kindForKeyword(group.keyword, writerEnumerates);
    return incompatibility(
      group.pointer,
      kind,
      messageFor(kind, reader, group.pointer, group.keyword, shown),
    );
  });
}

function messageFor(
  kind: JsonSchemaIncompatibilityKind,
  reader: SchemaNode,
  pointer: string,
  keyword: string,
  shown: string,
): string {
  const allowed = nodeAtPointer(reader.document, pointer)?.schema;
  switch (kind) {
    case Kind.enumValueRemoved:
      return `reader's enum ${describeJson(allowed)} does not include ${shown}, which the writer may write`;
    case Kind.enumAdded:
      return `reader only accepts ${describeJson(allowed)}, but the writer may also write ${shown}`;
    case Kind.constChanged:
    case Kind.constAdded:
      return `reader only accepts ${describeJson(allowed)}, but the writer may write ${shown}`;
    default:
      return `reader rejects ${shown} ("${keyword}" fails), which the writer may write`;
  }
}

/**
 * A `format` the writer declares too is met by every value it writes, so it is left out of the
 * check (formats themselves are not evaluated here).
 */
function withoutFormatTheWriterGuarantees(reader: SchemaNode, part: WriterPart): SchemaNode {
  if (!isSchemaObject(reader.schema) || reader.schema.format === undefined) return reader;
  const { format, ...rest } = reader.schema;
  const guaranteed = part.branch.nodes.some(
    (node) => isSchemaObject(node.schema) && node.schema.format === format,
  );
  return guaranteed ? { ...reader, schema: rest } : reader;
}
