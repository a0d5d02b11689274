import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSchemaReadIncompatibilities } from './find-json-schema-read-incompatibilities';
import { editsOf, schemaArbitrary, valueArbitrary } from './json-schema-arbitraries.test-support';
import type { JsonSchemaDialect, JsonSchemaDocument } from './json-schema-document';
import { JsonSchemaIncompatibilityKind as Kind } from './json-schema-incompatibility-kind';

// Inlet's own Ajv settings (see @inlet/core's JSON Schema codec), one instance per dialect.
const options = { strict: false, allowUnionTypes: true } as const;
const validators = { 'draft-07': new Ajv(options), '2020-12': new Ajv2020(options) };

function compile(dialect: 'draft-07' | '2020-12', schema: JsonSchemaDocument): ValidateFunction {
  return validators[dialect].compile(schema as object);
}

// Fixed seeds: the suite explores the same cases on every run (no flakiness); raise numRuns or
// change the seed locally to explore further.
const SEED = 20_240_917;
const dialects: ('draft-07' | '2020-12')[] = ['draft-07', '2020-12'];

function pairsOf(dialect: JsonSchemaDialect) {
  const schemas = schemaArbitrary(dialect);
  const related = schemas.chain((schema) => {
    const edits = editsOf(schema);
    const other = edits.length === 0 ? fc.constant(schema) : fc.constantFrom(...edits);
    return fc.tuple(fc.constant(schema), other, fc.boolean()).map(([a, b, swap]) => (swap ? [b, a] : [a, b]));
  });
  return fc.oneof({ arbitrary: related, weight: 4 }, { arbitrary: fc.tuple(schemas, schemas), weight: 1 });
}

describe.each(dialects)('soundness against Ajv (%s)', (dialect) => {
  it('never calls a pair compatible when Ajv finds a writer value the reader rejects', () => {
    let compatiblePairs = 0;
    let checkedValues = 0;
    fc.assert(
      fc.property(pairsOf(dialect), fc.integer(), ([reader, writer], valueSeed) => {
        const found = findJsonSchemaReadIncompatibilities(
          reader as JsonSchemaDocument,
          writer as JsonSchemaDocument,
        );
        if (found.length > 0) return;
        compatiblePairs++;
        const readerValid = compile(dialect, reader as JsonSchemaDocument);
        const writerValid = compile(dialect, writer as JsonSchemaDocument);
        const candidates = [
          ...fc.sample(valueArbitrary(writer as JsonSchemaDocument), { numRuns: 60, seed: valueSeed }),
          ...fc.sample(valueArbitrary(reader as JsonSchemaDocument), { numRuns: 20, seed: valueSeed + 1 }),
        ];
        for (const value of candidates) {
          if (!writerValid(value)) continue;
          checkedValues++;
          expect(readerValid(value), `reader rejects ${JSON.stringify(value)}`).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 1500 },
    );
    // The property is only meaningful if many pairs were called compatible and values checked.
    expect(compatiblePairs).toBeGreaterThan(300);
    expect(checkedValues).toBeGreaterThan(5000);
  }, 60_000);

  it('finds every schema compatible with itself (and with a copy of itself)', () => {
    fc.assert(
      fc.property(schemaArbitrary(dialect), (schema) => {
        expect(findJsonSchemaReadIncompatibilities(schema, structuredClone(schema))).toEqual([]);
      }),
      { seed: SEED, numRuns: 500 },
    );
  }, 60_000);
});

describe('widening is reader-safe, narrowing is reported', () => {
  const base = fc.record({
    colors: fc.uniqueArray(fc.constantFrom('red', 'green', 'blue', 'black'), { minLength: 1, maxLength: 3 }),
    maxLength: fc.integer({ min: 1, max: 20 }),
    required: fc.subarray(['color', 'count', 'note'], { minLength: 1 }),
    closed: fc.boolean(),
  });
  interface OrderParameters {
    colors: string[];
    maxLength: number;
    required: string[];
    closed: boolean;
  }
  const order = ({ colors, maxLength, required, closed }: OrderParameters) => ({
    type: 'object',
    properties: {
      color: { enum: colors },
      count: { type: 'integer' },
      note: { type: 'string', maxLength },
    },
    required,
    ...(closed ? { additionalProperties: false } : {}),
  });
  type Order = ReturnType<typeof order>;
  const widenings: [string, (schema: Order) => Order, string][] = [
    [
      'adding an enum value',
      (s) => ({
        ...s,
        properties: { ...s.properties, color: { enum: [...s.properties.color.enum, 'white'] } },
      }),
      Kind.enumValueRemoved,
    ],
    [
      'dropping a required entry',
      (s) => ({ ...s, required: s.required.slice(1) }),
      Kind.requiredPropertyAdded,
    ],
    [
      'integer to number',
      (s) => ({ ...s, properties: { ...s.properties, count: { type: 'number' } } }) as unknown as Order,
      Kind.typeNarrowed,
    ],
    [
      'raising maxLength',
      (s) => ({
        ...s,
        properties: { ...s.properties, note: { type: 'string', maxLength: s.properties.note.maxLength + 5 } },
      }),
      Kind.maxLengthDecreased,
    ],
  ];
  it.each(widenings)('%s', (_, widen, narrowingKind) => {
    fc.assert(
      fc.property(base, (parameters) => {
        const narrow = order(parameters);
        const wide = widen(narrow);
        expect(findJsonSchemaReadIncompatibilities(wide, narrow)).toEqual([]);
        const reported = findJsonSchemaReadIncompatibilities(narrow, wide);
        expect(reported.map((item) => item.kind)).toEqual([narrowingKind]);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
