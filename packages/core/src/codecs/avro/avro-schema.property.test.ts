import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryAvroValue } from './arbitrary-avro-value.test-support';
import { avroSchema } from './avro-schema';
import type { AvroSchema } from './avro-schema-types';

const schemas = {
  primitives: {
    type: 'record',
    name: 'Primitives',
    fields: [
      { name: 'nothing', type: 'null' },
      { name: 'flag', type: 'boolean' },
      { name: 'count', type: 'int' },
      { name: 'offset', type: 'long' },
      { name: 'ratio', type: 'float' },
      { name: 'amount', type: 'double' },
      { name: 'payload', type: 'bytes' },
      { name: 'label', type: 'string' },
      { name: 'digest', type: { type: 'fixed', name: 'Digest', size: 4 } },
      { name: 'level', type: { type: 'enum', name: 'Level', symbols: ['LOW', 'HIGH'] } },
    ],
  },
  nestedOrder: {
    type: 'record',
    name: 'Order',
    namespace: 'com.acme.orders',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['PLACED', 'PAID', 'SHIPPED'] } },
      {
        name: 'customer',
        type: {
          type: 'record',
          name: 'Customer',
          namespace: 'com.acme.people',
          fields: [
            { name: 'name', type: 'string' },
            {
              name: 'address',
              type: ['null', { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] }],
            },
          ],
        },
      },
      {
        name: 'lines',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Line',
            fields: [
              { name: 'sku', type: 'string' },
              { name: 'quantity', type: 'int' },
              {
                name: 'price',
                type: {
                  type: 'record',
                  name: 'Money',
                  fields: [
                    { name: 'cents', type: 'long' },
                    { name: 'currency', type: 'string', default: 'EUR' },
                  ],
                },
              },
              { name: 'lineStatus', type: 'Status' },
            ],
          },
        },
      },
      { name: 'attributes', type: { type: 'map', values: { type: 'array', items: 'string' } } },
      { name: 'shippedTo', type: ['null', 'com.acme.people.Address'], default: null },
      { name: 'refunds', type: { type: 'map', values: 'Money' }, default: {} },
      { name: 'paidAt', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
      { name: 'priority', type: 'int', default: 0 },
    ],
  },
  widestUnion: [
    'null',
    'boolean',
    'double',
    'string',
    'bytes',
    { type: 'long', logicalType: 'timestamp-millis' },
    { type: 'array', items: ['null', 'int'] },
  ],
  // A map branch cannot sit beside timestamp-millis (a Date is an object too), so it gets its own.
  unionWithMap: [
    'null',
    'boolean',
    'long',
    'string',
    { type: 'fixed', name: 'Id', size: 2 },
    { type: 'map', values: 'float' },
  ],
  recursiveTree: {
    type: 'record',
    name: 'TreeNode',
    fields: [
      { name: 'label', type: 'string' },
      { name: 'children', type: { type: 'array', items: 'TreeNode' } },
      { name: 'parent', type: ['null', 'TreeNode'], default: null },
    ],
  },
  mapOfMaps: { type: 'map', values: { type: 'map', values: ['null', 'long'] } },
  zeroSizeItems: {
    type: 'record',
    name: 'Ticks',
    fields: [
      { name: 'ticks', type: { type: 'array', items: 'null' } },
      { name: 'empties', type: { type: 'array', items: { type: 'record', name: 'Empty', fields: [] } } },
    ],
  },
} satisfies Record<string, AvroSchema>;

describe.each(Object.entries(schemas))('avro codec properties: %s', (_name, schema) => {
  const codec = avroSchema(schema as AvroSchema);

  it('validates generated values and decodes their encoding back to an equal value', () => {
    fc.assert(
      fc.property(arbitraryAvroValue(schema), ({ value, decoded }) => {
        expect(codec.validate(value)).toEqual({ ok: true, value });
        const bytes = codec.encode(value);
        expect(codec.decode(bytes)).toEqual({ ok: true, value: decoded });
      }),
    );
  });

  it('writes the defaults of fields left out or set to undefined', () => {
    fc.assert(
      fc.property(arbitraryAvroValue(schema, { omitDefaults: true }), ({ value, decoded }) => {
        expect(codec.validate(value).ok).toBe(true);
        expect(codec.decode(codec.encode(value))).toEqual({ ok: true, value: decoded });
      }),
    );
  });

  it('decodes only values that validate', () => {
    fc.assert(
      fc.property(arbitraryAvroValue(schema), ({ value }) => {
        const decoded = codec.decode(codec.encode(value));
        expect(decoded.ok && codec.validate(decoded.value).ok).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary bytes, and whatever it accepts validates', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        const result = codec.decode(Buffer.from(bytes));
        expect(typeof result.ok).toBe('boolean');
        if (result.ok) expect(codec.validate(result.value).ok).toBe(true);
        else expect(result.message).not.toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on valid encodings that were cut short or had bytes changed', () => {
    const damaged = fc
      .tuple(arbitraryAvroValue(schema), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([{ value }, cut, at, byte]) => {
        const bytes = codec.encode(value);
        const changed = Buffer.from(bytes);
        if (changed.length > 0) changed[at % changed.length] = byte;
        return [bytes.subarray(0, cut % (bytes.length + 1)), changed] as const;
      });
    fc.assert(
      fc.property(damaged, ([truncated, changed]) => {
        for (const bytes of [truncated, changed]) {
          const result = codec.decode(bytes);
          if (result.ok) expect(codec.validate(result.value).ok).toBe(true);
          else expect(['truncated', 'malformed']).toContain(result.reason);
        }
      }),
    );
  });
});

describe('avro strings', () => {
  const text = avroSchema('string');

  it('accepts exactly the strings that read back unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (value) => {
        const readsBack = new TextDecoder().decode(new TextEncoder().encode(value)) === value;
        expect(text.validate(value).ok).toBe(readsBack);
        if (readsBack) expect(text.decode(text.encode(value))).toEqual({ ok: true, value });
      }),
      { numRuns: 500 },
    );
  });
});

describe('avro schema resolution properties', () => {
  const moneyV1 = {
    type: 'record',
    name: 'Payment',
    namespace: 'com.acme.payments',
    fields: [
      { name: 'paymentId', type: 'string' },
      { name: 'cents', type: 'int' },
      { name: 'method', type: { type: 'enum', name: 'Method', symbols: ['CARD', 'CASH'] } },
      { name: 'legacyCode', type: 'string' },
    ],
  } as const;
  const moneyV2 = {
    type: 'record',
    name: 'Payment',
    namespace: 'com.acme.payments',
    fields: [
      { name: 'paymentId', type: 'string' },
      // int → long is a promotion Avro resolution allows.
      { name: 'cents', type: 'long' },
      { name: 'method', type: { type: 'enum', name: 'Method', symbols: ['CARD', 'CASH', 'VOUCHER'] } },
      { name: 'currency', type: 'string', default: 'EUR' },
      {
        name: 'capturedAt',
        type: ['null', { type: 'long', logicalType: 'timestamp-millis' }],
        default: null,
      },
      { name: 'tags', type: { type: 'array', items: 'string' }, default: ['migrated'] },
    ],
  } as const;
  const v1 = avroSchema(moneyV1);
  const v2 = avroSchema(moneyV2);

  it('reads v1 data with v2 (added fields get their defaults, removed fields are skipped)', () => {
    fc.assert(
      fc.property(arbitraryAvroValue(moneyV1), ({ value }) => {
        const written = value as { paymentId: string; cents: number; method: string };
        const result = v2.decode(v1.encode(value as never), v1);
        expect(result).toEqual({
          ok: true,
          value: {
            paymentId: written.paymentId,
            cents: written.cents,
            method: written.method,
            currency: 'EUR',
            capturedAt: null,
            tags: ['migrated'],
          },
        });
      }),
    );
  });

  it('reads v2 data with a reader that kept fewer fields and an enum default (forward compatibility)', () => {
    const summary = avroSchema({
      type: 'record',
      name: 'Payment',
      namespace: 'com.acme.payments',
      fields: [
        { name: 'paymentId', type: 'string' },
        {
          name: 'method',
          type: { type: 'enum', name: 'Method', symbols: ['CARD', 'CASH'], default: 'CARD' },
        },
      ],
    });
    fc.assert(
      fc.property(arbitraryAvroValue(moneyV2), ({ value }) => {
        const written = value as { paymentId: string; method: string };
        const expectedMethod = written.method === 'VOUCHER' ? 'CARD' : written.method;
        const result = summary.decode(v2.encode(value as never), v2);
        expect(result).toEqual({ ok: true, value: { paymentId: written.paymentId, method: expectedMethod } });
      }),
    );
  });

  it('reads data whose writer is another codec of the same schema exactly as without one', () => {
    const sameSchema = avroSchema(moneyV2);
    fc.assert(
      fc.property(arbitraryAvroValue(moneyV2), ({ value }) => {
        const bytes = v2.encode(value as never);
        expect(v2.decode(bytes, sameSchema)).toEqual(v2.decode(bytes));
      }),
    );
  });
});
