import { describe, expect, it } from 'vitest';
import { findJsonSchemaReadIncompatibilities } from './find-json-schema-read-incompatibilities';
import type { JsonSchemaDocument } from './json-schema-document';
import { JsonSchemaIncompatibilityKind as Kind } from './json-schema-incompatibility-kind';

interface Case {
  readonly name: string;
  readonly reader: JsonSchemaDocument;
  readonly writer: JsonSchemaDocument;
  /** `[kind, path]` of every expected incompatibility; empty when the reader reads all the writer writes. */
  readonly expected: readonly (readonly [string, string])[];
}

function run(cases: readonly Case[]) {
  it.each(cases)('$name', ({ reader, writer, expected }) => {
    const found = findJsonSchemaReadIncompatibilities(reader, writer);
    const actual = found.map((item) => [item.kind, item.path] as const);
    expect(sorted(actual)).toEqual(sorted(expected));
    for (const item of found) expect(item.message.length).toBeGreaterThan(10);
  });
}

function sorted(pairs: readonly (readonly [string, string])[]) {
  return [...pairs].sort((a, b) => `${a[1]} ${a[0]}`.localeCompare(`${b[1]} ${b[0]}`));
}

const string = { type: 'string' } as const;
const number = { type: 'number' } as const;
const integer = { type: 'integer' } as const;

// Source: R. Yokota, "Understanding JSON Schema Compatibility" (the article Confluent's JSON Schema
// serdes documentation points to for compatibility), section "Open and Closed Content Models"; and
// Confluent Schema Registry's JSON Schema diff cases "Detect property added to open content model",
// "Detect changes to remove properties", "Detect optional property added to closed content model".
// In Confluent's terms the writer is the previous schema and the reader the new one (BACKWARD).
describe('open and closed content models', () => {
  run([
    {
      name: 'open writer: a reader property with a schema is not covered',
      reader: { properties: { foo: string, bar: number } },
      writer: { properties: { foo: string } },
      expected: [[Kind.propertyAddedToOpenContentModel, '/properties/bar']],
    },
    {
      name: 'open writer: adding one property and removing another',
      reader: { properties: { bar: string } },
      writer: { properties: { foo: string } },
      expected: [[Kind.propertyAddedToOpenContentModel, '/properties/bar']],
    },
    {
      name: 'open reader: removing a property is fine',
      reader: { properties: { foo: string } },
      writer: { properties: { foo: string, bar: number } },
      expected: [],
    },
    {
      name: 'open writer: a property with an empty schema is fine',
      reader: { properties: { foo: string, bar: {} } },
      writer: { properties: { foo: string } },
      expected: [],
    },
    {
      name: 'closed writer: adding an optional property is fine',
      reader: { properties: { foo: string, bar: number }, additionalProperties: false },
      writer: { properties: { foo: string }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'closed writer: adding a required property breaks',
      reader: { properties: { foo: string, bar: number }, required: ['bar'], additionalProperties: false },
      writer: { properties: { foo: string }, additionalProperties: false },
      expected: [[Kind.requiredPropertyAdded, '/required/0']],
    },
    {
      name: 'closed reader: removing a property the writer writes breaks',
      reader: { properties: { foo: string }, additionalProperties: false },
      writer: { properties: { foo: string, bar: number }, additionalProperties: false },
      expected: [[Kind.propertyRemovedFromClosedModel, '/properties/bar']],
    },
    {
      name: 'closed reader: removing a property the writer forbids (false) is fine',
      reader: { properties: { foo: string }, additionalProperties: false },
      writer: { properties: { foo: string, bar: false }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'closing an open model breaks',
      reader: { type: 'object', properties: { foo: string }, additionalProperties: false },
      writer: { type: 'object', properties: { foo: string } },
      expected: [[Kind.additionalPropertiesNarrowed, '/additionalProperties']],
    },
    {
      name: 'opening a closed model is fine',
      reader: { type: 'object', properties: { foo: string }, additionalProperties: true },
      writer: { type: 'object', properties: { foo: string }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'additionalProperties absent and true mean the same',
      reader: { type: 'object', additionalProperties: true },
      writer: { type: 'object' },
      expected: [],
    },
    {
      name: 'a reader property set to false forbids what the writer writes',
      reader: { properties: { foo: false } },
      writer: { properties: { foo: string } },
      expected: [[Kind.propertyRemovedFromClosedModel, '/properties/foo']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect property added to partially
// open content model 1-4" and "Detect property removed from partially open content model 1-5"
// (a partially open model has an additionalProperties or patternProperties schema).
describe('partially open content models', () => {
  const patterns = { '^S_': string, '^I_': integer };
  run([
    {
      name: 'added property covered by a writer pattern',
      reader: {
        properties: { foo: string, I_123: number },
        additionalProperties: false,
        patternProperties: patterns,
      },
      writer: { properties: { foo: string }, additionalProperties: false, patternProperties: patterns },
      expected: [],
    },
    {
      name: 'added property covered by the writer additionalProperties schema',
      reader: { properties: { foo: string, bar: string }, additionalProperties: string },
      writer: { properties: { foo: string }, additionalProperties: string },
      expected: [],
    },
    {
      name: 'added property not covered by the writer additionalProperties schema',
      reader: { properties: { foo: string, bar: number }, additionalProperties: string },
      writer: { properties: { foo: string }, additionalProperties: string },
      expected: [[Kind.propertyAddedToPartiallyOpenContentModel, '/properties/bar']],
    },
    {
      name: 'added required property, covered but may be omitted',
      reader: { properties: { foo: string, bar: string }, required: ['bar'], additionalProperties: string },
      writer: { properties: { foo: string }, additionalProperties: string },
      expected: [[Kind.requiredPropertyAdded, '/required/0']],
    },
    {
      name: 'removed property covered by a reader pattern',
      reader: {
        properties: { foo: string },
        additionalProperties: false,
        patternProperties: { '^S_': string, '^I_': number },
      },
      writer: { properties: { foo: string, I_123: integer }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'removed property covered by the reader additionalProperties schema',
      reader: { properties: { foo: string }, additionalProperties: string },
      writer: { properties: { foo: string, bar: string }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'removed property not covered by the reader additionalProperties schema',
      reader: { properties: { foo: string }, additionalProperties: string },
      writer: { properties: { foo: string, bar: number }, additionalProperties: false },
      expected: [[Kind.propertyRemovedFromPartiallyOpenContentModel, '/properties/bar']],
    },
    {
      name: 'removed nullable property covered by the same oneOf',
      reader: { properties: { foo: string }, additionalProperties: { oneOf: [{ type: 'null' }, string] } },
      writer: {
        properties: { foo: string, bar: { oneOf: [{ type: 'null' }, string] } },
        additionalProperties: false,
      },
      expected: [],
    },
    {
      name: 'removed string property covered by a nullable oneOf',
      reader: { properties: { foo: string }, additionalProperties: { oneOf: [{ type: 'null' }, string] } },
      writer: { properties: { foo: string, bar: string }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'narrower additionalProperties schema breaks',
      reader: { type: 'object', additionalProperties: { type: 'string', maxLength: 5 } },
      writer: { type: 'object', additionalProperties: string },
      expected: [[Kind.additionalPropertiesNarrowed, '/additionalProperties']],
    },
    {
      name: 'an additionalProperties schema against an open writer breaks',
      reader: { type: 'object', additionalProperties: string },
      writer: { type: 'object' },
      expected: [[Kind.additionalPropertiesNarrowed, '/additionalProperties']],
    },
    {
      name: 'narrower patternProperties schema breaks',
      reader: { type: 'object', patternProperties: { '^S_': { type: 'string', minLength: 2 } } },
      writer: { type: 'object', patternProperties: { '^S_': string } },
      expected: [[Kind.patternPropertiesNarrowed, '/patternProperties/^S_']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect changes to simple schema type",
// "Detect narrowed/extended change to number schema", "Detect changes to type array", "Detect change
// type of properties"; and the Confluent compatibility-types summary (widening a type is backward
// compatible). Nullability through type lists and OpenAPI's `nullable` (which Ajv honours).
describe('types', () => {
  run([
    {
      name: 'object to array',
      reader: { type: 'array' },
      writer: { type: 'object' },
      expected: [[Kind.typeChanged, '/type']],
    },
    { name: 'number to integer', reader: integer, writer: number, expected: [[Kind.typeNarrowed, '/type']] },
    { name: 'integer to number', reader: number, writer: integer, expected: [] },
    {
      name: 'type list extended',
      reader: { type: ['object', 'array'] },
      writer: { type: ['object'] },
      expected: [],
    },
    {
      name: 'type list narrowed',
      reader: { type: ['object'] },
      writer: { type: ['object', 'array'] },
      expected: [[Kind.typeNarrowed, '/type']],
    },
    { name: 'made nullable', reader: { type: ['string', 'null'] }, writer: string, expected: [] },
    {
      name: 'made non-nullable',
      reader: string,
      writer: { type: ['string', 'null'] },
      expected: [[Kind.typeNarrowed, '/type']],
    },
    {
      name: 'OpenAPI nullable equals a type list',
      reader: { type: 'string', nullable: true },
      writer: { type: ['string', 'null'] },
      expected: [],
    },
    { name: 'type dropped', reader: {}, writer: string, expected: [] },
    { name: 'type added', reader: string, writer: {}, expected: [[Kind.typeNarrowed, '/type']] },
    {
      name: 'property type changed',
      reader: { properties: { foo: number } },
      writer: { properties: { foo: string } },
      expected: [[Kind.typeChanged, '/properties/foo/type']],
    },
    {
      name: 'annotations only changed (title, description, default, $comment, x-*)',
      reader: { title: 'b', description: 'b', default: 2, $comment: 'b', 'x-owner': 'b', type: 'integer' },
      writer: { title: 'a', description: 'a', default: 1, $comment: 'a', 'x-owner': 'a', type: 'integer' },
      expected: [],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect removed enum", "Detect
// compatible/incompatible changes to enum schema".
describe('enum and const', () => {
  run([
    {
      name: 'enum value added',
      reader: { enum: ['a', 'b', 'c'] },
      writer: { enum: ['a', 'b'] },
      expected: [],
    },
    {
      name: 'enum value removed',
      reader: { enum: ['a', 'b'] },
      writer: { enum: ['a', 'b', 'c'] },
      expected: [[Kind.enumValueRemoved, '/enum']],
    },
    { name: 'enum removed', reader: string, writer: { type: 'string', enum: ['red'] }, expected: [] },
    {
      name: 'enum added',
      reader: { type: 'string', enum: ['red'] },
      writer: string,
      expected: [[Kind.enumAdded, '/enum']],
    },
    {
      name: 'enum changed inside allOf',
      reader: { allOf: [string, { enum: ['blue'] }] },
      writer: { allOf: [string, { enum: ['red'] }] },
      expected: [[Kind.enumValueRemoved, '/allOf/1/enum']],
    },
    {
      name: 'enum extended inside allOf (branches reordered)',
      reader: { allOf: [{ enum: ['red', 'blue'] }, string] },
      writer: { allOf: [string, { enum: ['red'] }] },
      expected: [],
    },
    {
      name: 'const changed',
      reader: { const: 'a' },
      writer: { const: 'b' },
      expected: [[Kind.constChanged, '/const']],
    },
    { name: 'const matches a one-value enum', reader: { const: 'a' }, writer: { enum: ['a'] }, expected: [] },
    {
      name: 'const added',
      reader: { type: 'string', const: 'a' },
      writer: string,
      expected: [[Kind.constAdded, '/const']],
    },
    {
      name: 'enum on a boolean writer',
      reader: { type: 'boolean', enum: [true] },
      writer: { type: 'boolean' },
      expected: [[Kind.enumAdded, '/enum']],
    },
    {
      name: 'enum values checked against the other reader keywords',
      reader: { type: 'string', maxLength: 3 },
      writer: { enum: ['abc', 'abcd'] },
      expected: [[Kind.maxLengthDecreased, '/maxLength']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect required array to be
// removed/added/changed" and the compatibility-types summary (adding a required field is not
// backward compatible).
describe('required', () => {
  run([
    {
      name: 'required removed',
      reader: { properties: { foo: string } },
      writer: { properties: { foo: string }, required: ['foo'] },
      expected: [],
    },
    {
      name: 'required added',
      reader: { properties: { currency: string }, required: ['currency'] },
      writer: { properties: { currency: string } },
      expected: [[Kind.requiredPropertyAdded, '/required/0']],
    },
    {
      name: 'required changed to an undeclared property',
      reader: { properties: { foo: string }, required: ['bar'] },
      writer: { properties: { foo: string }, required: ['foo'] },
      expected: [[Kind.requiredPropertyAdded, '/required/0']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases for minLength, maxLength and pattern;
// format is an assertion under Inlet's Ajv settings (validateFormats with ajv-formats).
describe('strings', () => {
  run([
    {
      name: 'minLength increased',
      reader: { type: 'string', minLength: 11 },
      writer: { type: 'string', minLength: 10 },
      expected: [[Kind.minLengthIncreased, '/minLength']],
    },
    {
      name: 'minLength decreased',
      reader: { type: 'string', minLength: 10 },
      writer: { type: 'string', minLength: 11 },
      expected: [],
    },
    {
      name: 'maxLength increased',
      reader: { type: 'string', maxLength: 12 },
      writer: { type: 'string', maxLength: 10 },
      expected: [],
    },
    {
      name: 'maxLength decreased',
      reader: { type: 'string', maxLength: 10 },
      writer: { type: 'string', maxLength: 12 },
      expected: [[Kind.maxLengthDecreased, '/maxLength']],
    },
    { name: 'pattern removed', reader: string, writer: { type: 'string', pattern: 'uuid' }, expected: [] },
    {
      name: 'pattern changed',
      reader: { type: 'string', pattern: 'uuid' },
      writer: { type: 'string', pattern: 'date-time' },
      expected: [[Kind.patternChanged, '/pattern']],
    },
    {
      name: 'pattern added',
      reader: { type: 'string', pattern: '^a' },
      writer: string,
      expected: [[Kind.patternAdded, '/pattern']],
    },
    {
      name: 'pattern unchanged',
      reader: { type: 'string', pattern: 'date-time' },
      writer: { type: 'string', pattern: 'date-time' },
      expected: [],
    },
    {
      name: 'format added',
      reader: { type: 'string', format: 'email' },
      writer: string,
      expected: [[Kind.formatAdded, '/format']],
    },
    {
      name: 'format changed',
      reader: { type: 'string', format: 'email' },
      writer: { type: 'string', format: 'uri' },
      expected: [[Kind.formatChanged, '/format']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases for maximum, minimum and multipleOf.
describe('numbers', () => {
  run([
    { name: 'maximum removed', reader: number, writer: { type: 'number', maximum: 10 }, expected: [] },
    {
      name: 'maximum increased',
      reader: { type: 'number', maximum: 11 },
      writer: { type: 'number', maximum: 10 },
      expected: [],
    },
    {
      name: 'maximum decreased',
      reader: { type: 'number', maximum: 10 },
      writer: { type: 'number', maximum: 11 },
      expected: [[Kind.maximumDecreased, '/maximum']],
    },
    {
      name: 'minimum increased',
      reader: { type: 'number', minimum: 11 },
      writer: { type: 'number', minimum: 10 },
      expected: [[Kind.minimumIncreased, '/minimum']],
    },
    {
      name: 'minimum decreased',
      reader: { type: 'number', minimum: 10 },
      writer: { type: 'number', minimum: 11 },
      expected: [],
    },
    { name: 'multipleOf removed', reader: number, writer: { type: 'number', multipleOf: 10 }, expected: [] },
    {
      name: 'multipleOf reduced to a divisor',
      reader: { type: 'number', multipleOf: 2 },
      writer: { type: 'number', multipleOf: 10 },
      expected: [],
    },
    {
      name: 'multipleOf changed',
      reader: { type: 'number', multipleOf: 11 },
      writer: { type: 'number', multipleOf: 10 },
      expected: [[Kind.multipleOfChanged, '/multipleOf']],
    },
    {
      name: 'exclusiveMinimum over an inclusive minimum',
      reader: { type: 'number', exclusiveMinimum: 0 },
      writer: { type: 'number', minimum: 0 },
      expected: [[Kind.exclusiveMinimumIncreased, '/exclusiveMinimum']],
    },
    {
      name: 'exclusiveMinimum met by whole numbers',
      reader: { type: 'number', exclusiveMinimum: 0 },
      writer: { type: 'integer', minimum: 1 },
      expected: [],
    },
    {
      name: 'exclusiveMaximum over an inclusive maximum',
      reader: { type: 'number', exclusiveMaximum: 10 },
      writer: { type: 'number', maximum: 10 },
      expected: [[Kind.exclusiveMaximumDecreased, '/exclusiveMaximum']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect compatible/incompatible change
// to not schema".
describe('not', () => {
  run([
    { name: 'not narrowed', reader: { not: integer }, writer: { not: number }, expected: [] },
    {
      name: 'not extended',
      reader: { not: number },
      writer: { not: integer },
      expected: [[Kind.notAdded, '/not']],
    },
    { name: 'not disjoint from the writer', reader: { not: string }, writer: integer, expected: [] },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect changes to sub schemas",
// "Detect changes to number of sub schemas", "Detect changes to composed schema type", "Detect
// changes to validation criteria in composed schema type".
describe('combinators', () => {
  const variant = (kind: string, extra: Record<string, unknown>) => ({
    type: 'object',
    properties: { kind: { const: kind }, ...extra },
    required: ['kind'],
  });
  run([
    {
      name: 'oneOf branch changed',
      reader: { oneOf: [number] },
      writer: { oneOf: [string] },
      expected: [[Kind.combinationNarrowed, '/oneOf']],
    },
    {
      name: 'oneOf branch added',
      reader: { oneOf: [number, string] },
      writer: { oneOf: [string] },
      expected: [],
    },
    {
      name: 'oneOf branch with a changed property',
      reader: { oneOf: [{ properties: { foo: number } }] },
      writer: { oneOf: [{ properties: { foo: string } }] },
      expected: [[Kind.combinationNarrowed, '/oneOf']],
    },
    {
      name: 'single-branch oneOf to allOf',
      reader: { allOf: [string] },
      writer: { oneOf: [string] },
      expected: [],
    },
    {
      name: 'anyOf branch removed',
      reader: { anyOf: [string] },
      writer: { anyOf: [string, number] },
      expected: [[Kind.combinationNarrowed, '/anyOf']],
    },
    {
      name: 'type list read by anyOf',
      reader: { anyOf: [string, number] },
      writer: { type: ['string', 'number'] },
      expected: [],
    },
    {
      name: 'overlapping oneOf branches',
      reader: { oneOf: [number, integer] },
      writer: integer,
      expected: [[Kind.combinationNarrowed, '/oneOf']],
    },
    {
      name: 'discriminated oneOf reads one of its variants',
      reader: { oneOf: [variant('a', { x: string }), variant('b', { y: number })] },
      writer: variant('a', { x: { type: 'string', maxLength: 3 } }),
      expected: [],
    },
    {
      name: 'requirement inside allOf',
      reader: { allOf: [{ required: ['a'] }, { properties: { a: string } }] },
      writer: { properties: { a: string } },
      expected: [[Kind.requiredPropertyAdded, '/allOf/0/required/0']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect changes to dependencies as
// array", "... dependencies schemas", "... maxProperties / minProperties".
describe('dependencies and property counts', () => {
  run([
    {
      name: 'dependency array moved to another property',
      reader: { properties: { foo: number, bar: string }, dependencies: { bar: ['foo'] } },
      writer: { properties: { foo: number, bar: string }, dependencies: { foo: ['bar'] } },
      expected: [[Kind.dependentRequiredAdded, '/dependencies/bar']],
    },
    {
      name: 'dependency schema removed',
      reader: { dependencies: {} },
      writer: { dependencies: { foo: string } },
      expected: [],
    },
    {
      name: 'dependency schema changed',
      reader: { dependencies: { foo: number } },
      writer: { dependencies: { foo: string } },
      expected: [[Kind.dependentSchemaAdded, '/dependencies/foo']],
    },
    {
      name: 'dependentRequired in 2019-09',
      reader: { $schema: 'https://json-schema.org/draft/2019-09/schema', dependentRequired: { a: ['b'] } },
      writer: { $schema: 'https://json-schema.org/draft/2019-09/schema' },
      expected: [[Kind.dependentRequiredAdded, '/dependentRequired/a']],
    },
    {
      name: 'dependentRequired is not a draft-07 keyword',
      reader: { dependentRequired: { a: ['b'] } },
      writer: {},
      expected: [],
    },
    {
      name: 'maxProperties removed',
      reader: { properties: {} },
      writer: { properties: {}, maxProperties: 1 },
      expected: [],
    },
    {
      name: 'maxProperties increased',
      reader: { maxProperties: 2 },
      writer: { maxProperties: 1 },
      expected: [],
    },
    {
      name: 'maxProperties decreased',
      reader: { maxProperties: 1 },
      writer: { maxProperties: 2 },
      expected: [[Kind.maxPropertiesDecreased, '/maxProperties']],
    },
    {
      name: 'minProperties increased',
      reader: { minProperties: 2 },
      writer: { minProperties: 1 },
      expected: [[Kind.minPropertiesIncreased, '/minProperties']],
    },
    {
      name: 'minProperties decreased',
      reader: { minProperties: 1 },
      writer: { minProperties: 2 },
      expected: [],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect changes to all items schema",
// "Detect changes to items schema list", "Detect item added to/removed from partially open content
// model", "Detect changes to items in the schema list", maxItems/minItems/uniqueItems.
describe('arrays', () => {
  const tuple = (items: unknown[], additionalItems?: unknown) => ({
    type: 'array',
    items,
    ...(additionalItems === undefined ? {} : { additionalItems }),
  });
  run([
    {
      name: 'items schema added',
      reader: { type: 'array', items: string },
      writer: { type: 'array' },
      expected: [[Kind.typeNarrowed, '/items/type']],
    },
    {
      name: 'items schema removed',
      reader: { type: 'array' },
      writer: { type: 'array', items: string },
      expected: [],
    },
    { name: 'tuple removed', reader: { type: 'array' }, writer: tuple([string, number]), expected: [] },
    {
      name: 'item added, covered by additionalItems',
      reader: tuple([string, number, string], string),
      writer: tuple([string, number], string),
      expected: [],
    },
    {
      name: 'item added, not covered by additionalItems',
      reader: tuple([string, number, number], string),
      writer: tuple([string, number], string),
      expected: [[Kind.tupleItemsChanged, '/items/2']],
    },
    {
      name: 'item removed, covered by additionalItems',
      reader: tuple([string, number], string),
      writer: tuple([string, number, string], string),
      expected: [],
    },
    {
      name: 'item removed, not covered by additionalItems',
      reader: tuple([string, number], string),
      writer: tuple([string, number, number], string),
      expected: [[Kind.additionalItemsNarrowed, '/additionalItems']],
    },
    {
      name: 'tuple item type changed',
      reader: tuple([number]),
      writer: tuple([string]),
      expected: [[Kind.typeChanged, '/items/0/type']],
    },
    {
      name: 'maxItems decreased',
      reader: { type: 'array', maxItems: 1 },
      writer: { type: 'array', maxItems: 2 },
      expected: [[Kind.maxItemsDecreased, '/maxItems']],
    },
    {
      name: 'minItems removed',
      reader: { type: 'array' },
      writer: { type: 'array', minItems: 1 },
      expected: [],
    },
    {
      name: 'minItems increased',
      reader: { type: 'array', minItems: 2 },
      writer: { type: 'array', minItems: 1 },
      expected: [[Kind.minItemsIncreased, '/minItems']],
    },
    {
      name: 'minItems decreased',
      reader: { type: 'array', minItems: 1 },
      writer: { type: 'array', minItems: 2 },
      expected: [],
    },
    {
      name: 'uniqueItems removed',
      reader: { type: 'array' },
      writer: { type: 'array', uniqueItems: true },
      expected: [],
    },
    {
      name: 'uniqueItems added',
      reader: { type: 'array', uniqueItems: true },
      writer: { type: 'array' },
      expected: [[Kind.uniqueItemsAdded, '/uniqueItems']],
    },
    {
      name: '2020-12: closing items after prefixItems',
      reader: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        prefixItems: [string],
        items: false,
      },
      writer: { $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: [string, number] },
      expected: [[Kind.additionalItemsNarrowed, '/items']],
    },
    {
      name: 'draft-07 ignores prefixItems',
      reader: { type: 'array', prefixItems: [string] },
      writer: { type: 'array' },
      expected: [],
    },
    {
      name: 'nested item property narrowed',
      reader: {
        type: 'object',
        properties: {
          lines: { type: 'array', items: { type: 'object', properties: { quantity: integer } } },
        },
      },
      writer: {
        type: 'object',
        properties: { lines: { type: 'array', items: { type: 'object', properties: { quantity: number } } } },
      },
      expected: [[Kind.typeNarrowed, '/properties/lines/items/properties/quantity/type']],
    },
    {
      name: "a writer's contains is not relied on where Ajv skips it (tuple items with contains)",
      reader: { type: 'array', contains: { type: 'boolean' } },
      writer: {
        type: 'array',
        items: [{ type: 'array', contains: { type: 'null' } }],
        contains: { type: 'boolean' },
      },
      expected: [[Kind.containsNarrowed, '/contains']],
    },
    {
      name: 'contains kept',
      reader: { type: 'array', contains: { type: ['boolean', 'null'] } },
      writer: { type: 'array', contains: { type: 'boolean' } },
      expected: [],
    },
    {
      name: 'contains added',
      reader: { type: 'array', contains: string },
      writer: { type: 'array' },
      expected: [[Kind.containsNarrowed, '/contains']],
    },
  ]);
});

// Source: Confluent Schema Registry's JSON Schema diff cases "Detect incompatible changes to
// reference schemas", "Detect compatible change of moving to/from reference schema", and its
// recursive-schema case.
describe('references', () => {
  const tree = (value: unknown) => ({
    definitions: {
      node: {
        type: 'object',
        properties: { value, children: { type: 'array', items: { $ref: '#/definitions/node' } } },
      },
    },
    $ref: '#/definitions/node',
  });
  run([
    {
      name: 'referenced schema changed',
      reader: { type: 'array', items: { $ref: '#/definitions/someRef' }, definitions: { someRef: number } },
      writer: { type: 'array', items: { $ref: '#/definitions/someRef' }, definitions: { someRef: string } },
      expected: [[Kind.typeChanged, '/definitions/someRef/type']],
    },
    {
      name: 'moved to a reference',
      reader: { $ref: '#/definitions/someRef', definitions: { someRef: string } },
      writer: string,
      expected: [],
    },
    {
      name: 'moved from a reference',
      reader: string,
      writer: { $ref: '#/definitions/someRef', definitions: { someRef: string } },
      expected: [],
    },
    {
      name: '2020-12 $defs',
      reader: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $ref: '#/$defs/id',
        $defs: { id: { type: 'string', maxLength: 5 } },
      },
      writer: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $ref: '#/$defs/id',
        $defs: { id: { type: 'string', maxLength: 9 } },
      },
      expected: [[Kind.maxLengthDecreased, '/$defs/id/maxLength']],
    },
    { name: 'recursive schema widened', reader: tree(number), writer: tree(integer), expected: [] },
    {
      name: 'recursive schema narrowed',
      reader: tree(integer),
      writer: tree(number),
      expected: [[Kind.typeNarrowed, '/definitions/node/properties/value/type']],
    },
    {
      name: 'unresolved reader reference',
      reader: { properties: { a: { $ref: '#/definitions/missing' } } },
      writer: { properties: { a: string } },
      expected: [[Kind.referenceUnresolved, '/properties/a/$ref']],
    },
    {
      name: 'a reference under a nested $id is not resolved against the root',
      reader: {
        definitions: { a: string, b: { $id: 'b.json', definitions: { a: number }, $ref: '#/definitions/a' } },
        $ref: '#/definitions/b',
      },
      writer: number,
      expected: [[Kind.referenceUnresolved, '/definitions/b/$ref']],
    },
    {
      name: 'reference looping without descending',
      reader: { anyOf: [{ $ref: '#' }, string] },
      writer: number,
      expected: [[Kind.combinationNarrowed, '/anyOf']],
    },
  ]);
});

// Boolean schemas (true accepts everything, false nothing), as in Yokota's article, section "Open
// and Closed Content Models", and Confluent's diff case "Anything can change to empty schema".
describe('boolean schemas', () => {
  run([
    { name: 'reader true', reader: true, writer: { type: 'object', required: ['a'] }, expected: [] },
    { name: 'anything to the empty schema', reader: {}, writer: { properties: {} }, expected: [] },
    { name: 'writer false', reader: { type: 'string', maxLength: 1 }, writer: false, expected: [] },
    { name: 'reader false', reader: false, writer: true, expected: [[Kind.falseSchema, '']] },
  ]);
});

// Keywords with no counterpart in Confluent's rules: conditionals, unevaluated*, propertyNames.
describe('conditionals and keywords compared conservatively', () => {
  const conditional = {
    if: { properties: { kind: { const: 'refund' } }, required: ['kind'] },
    // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
    then: { required: ['reason'] },
  };
  run([
    {
      name: 'same if/then in the writer',
      reader: { type: 'object', ...conditional },
      writer: { type: 'object', ...conditional, properties: { a: string } },
      expected: [],
    },
    {
      name: 'if/then added',
      reader: { type: 'object', ...conditional },
      writer: { type: 'object' },
      expected: [[Kind.conditionalNarrowed, '/then']],
    },
    {
      name: '2020-12 unevaluatedProperties without applicators is a closed model',
      reader: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        properties: { a: string },
        unevaluatedProperties: false,
      },
      writer: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        properties: { a: string, b: string },
        unevaluatedProperties: false,
      },
      expected: [[Kind.propertyRemovedFromClosedModel, '/properties/b']],
    },
    {
      name: '2020-12 unevaluatedProperties next to allOf is not modelled',
      reader: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        allOf: [{ properties: { a: string } }],
        unevaluatedProperties: false,
      },
      writer: { $schema: 'https://json-schema.org/draft/2020-12/schema', properties: { a: string } },
      expected: [[Kind.unsupportedKeywordChanged, '/unevaluatedProperties']],
    },
    {
      name: 'propertyNames met by a closed writer',
      reader: { type: 'object', propertyNames: { maxLength: 3 } },
      writer: { type: 'object', properties: { abc: string }, additionalProperties: false },
      expected: [],
    },
    {
      name: 'propertyNames against an open writer',
      reader: { type: 'object', propertyNames: { maxLength: 3 } },
      writer: { type: 'object' },
      expected: [[Kind.propertyNamesNarrowed, '/propertyNames']],
    },
  ]);
});
