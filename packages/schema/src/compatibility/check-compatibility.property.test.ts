import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toComparableSchema } from '../registry/comparable-schema';
import { checkSchemaCompatibility } from './check-compatibility';

// Avro record schemas of primitives, arrays, maps, enums and nullable unions.
const primitive = fc.constantFrom('int', 'long', 'float', 'double', 'string', 'bytes', 'boolean');
const fieldType = fc.oneof(
  primitive,
  primitive.map((items) => ({ type: 'array', items })),
  primitive.map((values) => ({ type: 'map', values })),
  primitive.map((type) => ['null', type]),
);
const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const recordSchema = fc.uniqueArray(fc.record({ name: fieldName, type: fieldType }), {
  minLength: 1,
  maxLength: 8,
  selector: (field) => field.name,
});

const avro = (fields: readonly unknown[]) =>
  toComparableSchema({
    schemaType: 'AVRO',
    schema: JSON.stringify({ type: 'record', name: 'R', namespace: 'p', fields }),
  });
const defaultFor = (type: unknown): unknown => {
  if (Array.isArray(type)) return null;
  if (typeof type === 'object' && type !== null) return (type as { type: string }).type === 'array' ? [] : {};
  return { int: 0, long: 0, float: 0, double: 0, string: '', bytes: '', boolean: false }[type as string];
};

describe('compatibility properties (Avro)', () => {
  it('a schema is compatible with itself under every mode', () => {
    fc.assert(
      fc.property(recordSchema, (fields) => {
        const schema = avro(fields);
        for (const mode of ['BACKWARD', 'FORWARD', 'FULL_TRANSITIVE'] as const) {
          expect(checkSchemaCompatibility(schema, [{ version: 1, schema }], mode).compatible).toBe(true);
        }
      }),
    );
  });

  it('adding a field with a default is FULL compatible; without one it is not BACKWARD compatible', () => {
    fc.assert(
      fc.property(recordSchema, fieldType, (fields, type) => {
        const name = 'added_field';
        const before = avro(fields);
        const withDefault = avro([...fields, { name, type, default: defaultFor(type) }]);
        const withoutDefault = avro([...fields, { name, type }]);
        expect(
          checkSchemaCompatibility(withDefault, [{ version: 1, schema: before }], 'FULL').compatible,
        ).toBe(true);
        const report = checkSchemaCompatibility(withoutDefault, [{ version: 1, schema: before }], 'BACKWARD');
        expect(report.breakingChanges.map((change) => change.kind)).toEqual(['FIELD_ADDED_WITHOUT_DEFAULT']);
        // Old readers skip the new field, so the change is still FORWARD compatible.
        expect(
          checkSchemaCompatibility(withoutDefault, [{ version: 1, schema: before }], 'FORWARD').compatible,
        ).toBe(true);
      }),
    );
  });

  it('removing a field without a default breaks FORWARD but not BACKWARD', () => {
    fc.assert(
      fc.property(
        recordSchema.filter((fields) => fields.length > 1),
        (fields) => {
          const before = avro(fields);
          const after = avro(fields.slice(1));
          expect(
            checkSchemaCompatibility(after, [{ version: 3, schema: before }], 'BACKWARD').compatible,
          ).toBe(true);
          const forward = checkSchemaCompatibility(after, [{ version: 3, schema: before }], 'FORWARD');
          expect(forward.breakingChanges).toEqual([
            expect.objectContaining({
              kind: 'FIELD_ADDED_WITHOUT_DEFAULT',
              direction: 'forward',
              againstVersion: 3,
            }),
          ]);
        },
      ),
    );
  });

  it('transitive modes check every version, the others only the latest', () => {
    const v1 = avro([{ name: 'a', type: 'string' }]);
    const v2 = avro([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'int', default: 0 },
    ]);
    const v3 = avro([{ name: 'b', type: 'int', default: 0 }]);
    const previous = [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ];
    expect(checkSchemaCompatibility(v3, previous, 'FORWARD').checkedVersions).toEqual([2]);
    const transitive = checkSchemaCompatibility(v3, previous, 'FORWARD_TRANSITIVE');
    expect(transitive.checkedVersions).toEqual([1, 2]);
    expect(transitive.breakingChanges.map((change) => change.againstVersion)).toEqual([1, 2]);
    expect(checkSchemaCompatibility(v3, previous, 'NONE')).toMatchObject({
      compatible: true,
      checkedVersions: [],
    });
  });
});
