import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InletErrorCode } from '../../errors';
import { jsonSchema, jsonSchemaOf } from './json-schema-codec';

const orderCodec = jsonSchema({
  type: 'object',
  properties: {
    orderId: { type: 'string', minLength: 1 },
    amount: { type: 'number', minimum: 0 },
    currency: { enum: ['EUR', 'USD'] },
    placedAt: { type: 'string', format: 'date-time' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
        required: ['sku', 'quantity'],
        additionalProperties: false,
      },
    },
  },
  required: ['orderId', 'amount', 'currency', 'placedAt', 'lines'],
  additionalProperties: false,
});

const validOrder = {
  orderId: 'o-1',
  amount: 12.5,
  currency: 'EUR' as const,
  placedAt: '2026-11-25T10:00:00Z',
  lines: [{ sku: 'sku-1', quantity: 2 }],
};

describe('jsonSchema codec', () => {
  it('accepts valid data and round-trips it', () => {
    expect(orderCodec.validate(validOrder)).toEqual({ ok: true, value: validOrder });
    const decoded = orderCodec.decode(orderCodec.encode(validOrder));
    expect(decoded).toEqual({ ok: true, value: validOrder });
    expect(JSON.parse(orderCodec.schemaText)).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      ...(orderCodec.schema as object),
    });
  });

  it('names every failing path', () => {
    const result = orderCodec.validate({
      orderId: '',
      amount: -1,
      currency: 'GBP',
      placedAt: 'not a date',
      lines: [{ sku: 'a', quantity: 0, extra: true }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(
      ['/amount', '/currency', '/lines/0/extra', '/lines/0/quantity', '/orderId', '/placedAt'].sort(),
    );
    expect(result.issues.find((issue) => issue.path === '/currency')?.message).toBe(
      'must be one of "EUR", "USD"',
    );
  });

  it('reports missing required properties at their own path', () => {
    const result = orderCodec.validate({ ...validOrder, orderId: undefined });
    expect(result).toEqual({ ok: false, issues: [{ path: '/orderId', message: 'is required but missing' }] });
  });

  it('refuses bad UTF-8 and bad JSON with a reason, never throwing', () => {
    expect(orderCodec.decode(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    expect(orderCodec.decode(Buffer.from('{"orderId":'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(orderCodec.decode(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('decodes arbitrary bytes to ok or a reason, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = orderCodec.decode(Buffer.from(bytes));
        return result.ok || result.reason === 'malformed' || result.reason === 'truncated';
      }),
    );
  });

  it('round-trips generated valid orders', () => {
    const order = fc.record({
      orderId: fc.string({ minLength: 1 }),
      amount: fc.double({ min: 0, max: 1e9, noNaN: true }),
      currency: fc.constantFrom('EUR' as const, 'USD' as const),
      placedAt: fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      lines: fc.array(fc.record({ sku: fc.string(), quantity: fc.integer({ min: 1, max: 1000 }) })),
    });
    fc.assert(
      fc.property(order, (value) => {
        expect(orderCodec.validate(value).ok).toBe(true);
        expect(orderCodec.decode(orderCodec.encode(value))).toEqual({ ok: true, value });
      }),
    );
  });

  it('refuses an invalid schema with INLET_SCHEMA_INVALID', () => {
    expect(() =>
      jsonSchemaOf<unknown>()({ type: 'object', properties: { a: { type: 'strin' } } } as object),
    ).toThrow(expect.objectContaining({ code: InletErrorCode.schemaInvalid }));
  });

  it('understands 2020-12 schemas', () => {
    const codec = jsonSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    });
    expect(codec.validate(['a', 1]).ok).toBe(true);
    expect(codec.validate(['a', 1, 2]).ok).toBe(false);
  });
});
