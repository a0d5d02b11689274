import type { ReadIncompatibility } from '../read-compatibility';
import { checkArrayKeywords } from './check-array-keywords';
import { checkAnyOf, checkConditional, checkNot, checkOneOf } from './check-combinators';
import { checkFiniteValues } from './check-finite-values';
import { checkObjectKeywords } from './check-object-keywords';
import { checkNumberKeywords, checkStringKeywords } from './check-scalar-keywords';
import {
  type ComparisonContext,
  dedupe,
  incompatibility,
  isEmptyPart,
  Kind,
  restrictPart,
  type WriterPart,
} from './comparison-context';
import { isSchemaObject } from './json-schema-document';
import {
  declaredTypes,
  deepEqual,
  describeJson,
  describeTypes,
  intersectTypes,
  isSelfContained,
  isTrivialSchema,
  type JsonType,
  jsonTypeOf,
  typeAccepts,
} from './schema-keywords';
import { childNode, nodeKey, resolveReference, type SchemaNode } from './schema-node';

type SchemaRecord = Readonly<Record<string, unknown>>;

/**
 * Every reason the reader subschema `reader` may reject a value of `part`. The heart of the
 * rules: boolean schemas, identity, recursion, `type`, finite writers, `$ref`, `enum`/`const`,
 * the keywords of each type, then the combinators.
 */
export function checkReader(
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
): ReadIncompatibility[] {
  const schema = reader.schema;
  if (isEmptyPart(part) || schema === true) return [];
  if (schema === false) {
    return [
      incompatibility(
        reader.pointer,
        Kind.falseSchema,
        `reader accepts nothing here (false schema), but the writer may write ${describeTypes(part.types)} values`,
      ),
    ];
  }
  if (!isSchemaObject(schema)) {
    return [
      incompatibility(
        reader.pointer,
        Kind.schemaInvalid,
        `reader's schema here is not an object or a boolean`,
      ),
    ];
  }
  if (isTrivialSchema(schema) || writerHasSameSchema(reader, part)) return [];
  if (!context.step()) {
    return [
      incompatibility(
        reader.pointer,
        Kind.tooComplex,
        'the schemas are too large or too deeply nested to compare within the work budget; reported as a possible break',
      ),
    ];
  }
  const key = `${nodeKey(reader)}|${part.branch.key}|${[...part.types].join(',')}`;
  const entry = context.enter(key);
  if (entry === 'assumed') return [];
  if (entry === 'cycle') {
    return [
      incompatibility(
        reader.pointer,
        Kind.referenceCycle,
        "reader's references loop back here without descending into the value, so this part cannot be decided; reported as a possible break",
      ),
    ];
  }
  try {
    return dedupe(checkReaderObject(context, reader, schema, part));
  } finally {
    context.leave(key);
  }
}

/**
 * A schema the writer states word for word is satisfied by everything the writer writes — when
 * its references (if any) resolve the same way: it holds none, or both sit at the same place in
 * identical documents.
 */
function writerHasSameSchema(reader: SchemaNode, part: WriterPart): boolean {
  const selfContained = isSelfContained(reader.schema);
  return part.branch.nodes.some(
    (node) =>
      node.document.dialect === reader.document.dialect &&
      (selfContained ||
        (node.pointer === reader.pointer && node.document.fingerprint === reader.document.fingerprint)) &&
      deepEqual(node.schema, reader.schema),
  );
}

function checkReaderObject(
  context: ComparisonContext,
  reader: SchemaNode,
  schema: SchemaRecord,
  whole: WriterPart,
): ReadIncompatibility[] {
  const found: ReadIncompatibility[] = [];
  const { part, issue } = checkType(reader, schema, whole);
  if (issue !== undefined) found.push(issue);
  if (isEmptyPart(part)) return found;
  if (part.values !== undefined) {
    found.push(...checkFiniteValues(reader, part, part.values));
    return found;
  }
  found.push(...checkReferences(context, reader, schema, part));
  found.push(...checkListedValues(reader, schema, part));
  for (const type of part.types) {
    if (type === 'string') found.push(...checkStringKeywords(reader, part));
    else if (type === 'number' || type === 'integer')
      found.push(...checkNumberKeywords(reader, part, type === 'integer'));
    else if (type === 'array')
      found.push(...checkArrayKeywords(context, reader, restrictPart(part, new Set(['array']))));
    else if (type === 'object') {
      found.push(...checkObjectKeywords(context, reader, restrictPart(part, new Set(['object']))));
    }
  }
  if (Array.isArray(schema.allOf)) {
    for (const index of schema.allOf.keys()) {
      found.push(...context.checkReader(childNode(reader, 'allOf', index) as SchemaNode, part));
    }
  }
  found.push(...checkAnyOf(context, reader, part));
  found.push(...checkOneOf(context, reader, part));
  found.push(...checkNot(context, reader, part));
  found.push(...checkConditional(context, reader, part));
  return found;
}

function checkType(
  reader: SchemaNode,
  schema: SchemaRecord,
  part: WriterPart,
): { part: WriterPart; issue?: ReadIncompatibility } {
  const readerTypes = declaredTypes(schema);
  if (readerTypes === undefined) return { part };
  if (part.values !== undefined) {
    // Finite writers are checked value by value; only the types of those values matter here.
    const kept = part.values.filter((value) => typeAccepts(readerTypes, jsonTypeOf(value)));
    const dropped = part.values.filter((value) => !kept.includes(value));
    if (dropped.length === 0) return { part };
    return {
      part: { ...part, values: kept, types: new Set(kept.map(jsonTypeOf)) },
      issue: incompatibility(
        `${reader.pointer}/type`,
        kept.length > 0 ? Kind.typeNarrowed : Kind.typeChanged,
        `reader accepts ${describeTypes(readerTypes)}, but the writer may write ${dropped.map((value) => describeJson(value, 40)).join(', ')}`,
      ),
    };
  }
  const accepted = intersectTypes(part.types, readerTypes);
  const rejected = [...part.types].filter((type) => !accepted.has(type));
  if (rejected.length === 0) return { part };
  const narrowedNumber = rejected.includes('number') && accepted.has('integer');
  const issue = incompatibility(
    `${reader.pointer}/type`,
    accepted.size > 0 ? Kind.typeNarrowed : Kind.typeChanged,
    `reader accepts ${describeTypes(readerTypes)}, but the writer may write ${describeTypes(
      rejected.map((type): JsonType => (type === 'number' && narrowedNumber ? 'number' : type)),
    )}${narrowedNumber ? ' (including numbers that are not whole)' : ''}`,
  );
  return { part: restrictPart(part, accepted), issue };
}

function checkReferences(
  context: ComparisonContext,
  reader: SchemaNode,
  schema: SchemaRecord,
  part: WriterPart,
): ReadIncompatibility[] {
  const found: ReadIncompatibility[] = [];
  if (schema.$ref !== undefined) {
    const resolution = resolveReference(reader, schema.$ref);
    if (resolution.ok) found.push(...context.checkReader(resolution.node, part));
    else {
      found.push(
        incompatibility(
          `${reader.pointer}/$ref`,
          Kind.referenceUnresolved,
          `reader's reference cannot be resolved (${resolution.reason}), so nothing the writer writes is known to be readable here`,
        ),
      );
    }
  }
  const dynamic =
    reader.document.dialect === '2019-09'
      ? '$recursiveRef'
      : reader.document.dialect === '2020-12'
        ? '$dynamicRef'
        : '';
  if (dynamic !== '' && schema[dynamic] !== undefined) {
    found.push(
      incompatibility(
        `${reader.pointer}/${dynamic}`,
        Kind.unsupportedKeywordChanged,
        `reader uses ${dynamic}, which is not modelled; reported as a possible break`,
      ),
    );
  }
  return found;
}

/** enum/const against a writer whose values are not a finite list. */
function checkListedValues(
  reader: SchemaNode,
  schema: SchemaRecord,
  part: WriterPart,
): ReadIncompatibility[] {
  const found: ReadIncompatibility[] = [];
  const types = describeTypes(part.types);
  if (Array.isArray(schema.enum)) {
    found.push(
      incompatibility(
        `${reader.pointer}/enum`,
        Kind.enumAdded,
        `reader only accepts ${describeJson(schema.enum)}, but the writer may write any ${types}`,
      ),
    );
  }
  if (Object.hasOwn(schema, 'const')) {
    found.push(
      incompatibility(
        `${reader.pointer}/const`,
        Kind.constAdded,
        `reader only accepts ${describeJson(schema.const)}, but the writer may write any ${types}`,
      ),
    );
  }
  return found;
}
