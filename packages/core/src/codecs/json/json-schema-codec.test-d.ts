import { describe, expectTypeOf, it } from 'vitest';
import type { CodecData } from '../payload-codec';
import { jsonSchema, jsonSchemaOf } from './json-schema-codec';

describe('jsonSchema type inference', () => {
  it('infers required and optional properties without as const', () => {
    const codec = jsonSchema({
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        amount: { type: 'number' },
        note: { type: 'string' },
      },
      required: ['orderId', 'amount'],
      additionalProperties: false,
    });
    expectTypeOf<CodecData<typeof codec>>().toEqualTypeOf<{
      orderId: string;
      amount: number;
      note?: string;
    }>();
  });

  it('infers enums, arrays, nested objects and nullable types', () => {
    const codec = jsonSchema({
      type: 'object',
      properties: {
        status: { enum: ['placed', 'paid', 'shipped'] },
        lines: {
          type: 'array',
          items: {
            type: 'object',
            properties: { sku: { type: 'string' }, quantity: { type: 'integer' } },
            required: ['sku', 'quantity'],
            additionalProperties: false,
          },
        },
        couponCode: { type: ['string', 'null'] },
      },
      required: ['status', 'lines', 'couponCode'],
      additionalProperties: false,
    });
    type Data = CodecData<typeof codec>;
    expectTypeOf<Data['status']>().toEqualTypeOf<'placed' | 'paid' | 'shipped'>();
    expectTypeOf<Data['lines']>().toEqualTypeOf<{ sku: string; quantity: number }[]>();
    expectTypeOf<Data['couponCode']>().toEqualTypeOf<string | null>();
  });

  it('takes a hand-written type for schemas that are not literals', () => {
    interface Order {
      readonly orderId: string;
    }
    const schemaFromFile: object = { type: 'object' };
    const codec = jsonSchemaOf<Order>()(schemaFromFile);
    expectTypeOf<CodecData<typeof codec>>().toEqualTypeOf<Order>();
  });

  it('rejects values of the wrong type at compile time', () => {
    const codec = jsonSchema({
      type: 'object',
      properties: { orderId: { type: 'string' } },
      required: ['orderId'],
      additionalProperties: false,
    });
    // @ts-expect-error orderId must be a string
    codec.encode({ orderId: 1 });
    codec.encode({ orderId: 'o-1' });
  });
});
