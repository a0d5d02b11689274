import { describe, expectTypeOf, it } from 'vitest';
import type { CodecData, PayloadCodec } from '../payload-codec';
import { type AvroCodec, type AvroDecodeResult, avroSchema, avroSchemaOf, canRead } from './avro-schema';
import type { AvroSchema } from './avro-schema-types';

const orderPlaced = avroSchema({
  type: 'record',
  name: 'OrderPlaced',
  namespace: 'com.acme.orders',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'total', type: 'double' },
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
});

interface OrderPlacedWrite {
  orderId: string;
  total: number;
  placedAt: Date;
  coupon?: string | null | undefined;
}

interface OrderPlacedRead {
  orderId: string;
  total: number;
  placedAt: Date;
  coupon: string | null;
}

describe('avroSchema types', () => {
  it('infers the data type from the schema literal, without as const', () => {
    expectTypeOf(orderPlaced).toEqualTypeOf<AvroCodec<OrderPlacedWrite, OrderPlacedRead>>();
    expectTypeOf<CodecData<typeof orderPlaced>>().toEqualTypeOf<OrderPlacedWrite>();
    expectTypeOf(orderPlaced).toExtend<PayloadCodec<OrderPlacedWrite>>();
  });

  it('types validate, encode and decode', () => {
    const checked = orderPlaced.validate({});
    if (checked.ok) expectTypeOf(checked.value).toEqualTypeOf<OrderPlacedWrite>();
    expectTypeOf(orderPlaced.encode).parameter(0).toEqualTypeOf<OrderPlacedWrite>();
    expectTypeOf(orderPlaced.decode(Buffer.alloc(0))).toEqualTypeOf<AvroDecodeResult<OrderPlacedRead>>();
    const decoded = orderPlaced.decode(Buffer.alloc(0), orderPlaced);
    if (decoded.ok) expectTypeOf(decoded.value.coupon).toEqualTypeOf<string | null>();
    else expectTypeOf(decoded.reason).toEqualTypeOf<'truncated' | 'malformed'>();
  });

  it('rejects values of the wrong shape at compile time', () => {
    orderPlaced.encode({ orderId: 'o-1', total: 1, placedAt: new Date() });
    orderPlaced.encode({ orderId: 'o-1', total: 1, placedAt: new Date(), coupon: undefined });
    // @ts-expect-error placedAt is a Date, not epoch millis
    orderPlaced.encode({ orderId: 'o-1', total: 1, placedAt: 0 });
    // @ts-expect-error total is required
    orderPlaced.encode({ orderId: 'o-1', placedAt: new Date() });
    // @ts-expect-error cupon is not a field
    orderPlaced.encode({ orderId: 'o-1', total: 1, placedAt: new Date(), cupon: null });
  });

  it('rejects malformed schema literals at compile time', () => {
    // @ts-expect-error an array needs items
    avroSchema({ type: 'array' });
    // @ts-expect-error a record needs fields
    avroSchema({ type: 'record', name: 'R' });
    // @ts-expect-error symbols are strings
    avroSchema({ type: 'enum', name: 'E', symbols: [1] });
    // @ts-expect-error a field needs a type
    avroSchema({ type: 'record', name: 'R', fields: [{ name: 'a' }] });
  });

  it('gives unknown data for a schema that is not a literal', () => {
    const fromFile = JSON.parse('"string"') as AvroSchema;
    expectTypeOf(avroSchema(fromFile)).toEqualTypeOf<AvroCodec<unknown, unknown>>();
  });

  it('takes codecs of any data type in canRead', () => {
    const v2 = avroSchema({ type: 'record', name: 'OrderPlaced', namespace: 'com.acme.orders', fields: [] });
    expectTypeOf(canRead(v2, orderPlaced)).toEqualTypeOf<
      { readonly ok: true } | { readonly ok: false; readonly reason: string }
    >();
  });
});

describe('avroSchemaOf types', () => {
  const schema = {
    type: 'record',
    name: 'OrderPlaced',
    namespace: 'com.acme.orders',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'total', type: 'double' },
      { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'coupon', type: ['null', 'string'], default: null },
    ],
  } as const;

  it('types the codec with the given type when the schema describes it', () => {
    interface OrderPlaced {
      readonly orderId: string;
      readonly total: number;
      readonly placedAt: Date;
      readonly coupon?: string | null;
    }
    const codec = avroSchemaOf<OrderPlaced>()(schema);
    expectTypeOf(codec).toEqualTypeOf<AvroCodec<OrderPlaced>>();
    expectTypeOf<CodecData<typeof codec>>().toEqualTypeOf<OrderPlaced>();
  });

  it('refuses a schema that does not describe the given type', () => {
    interface WrongTotal {
      orderId: string;
      total: string;
      placedAt: Date;
      coupon: string | null;
    }
    // @ts-expect-error total is a double in the schema
    avroSchemaOf<WrongTotal>()(schema);
    interface MissingField {
      orderId: string;
      total: number;
    }
    // @ts-expect-error the schema also requires placedAt, so a MissingField could not be written
    avroSchemaOf<MissingField>()(schema);
  });

  it('takes a schema that is not a literal at its word', () => {
    interface Anything {
      id: string;
    }
    const fromFile = JSON.parse('{}') as AvroSchema;
    expectTypeOf(avroSchemaOf<Anything>()(fromFile)).toEqualTypeOf<AvroCodec<Anything>>();
  });
});

describe('avroSchema on a realistic schema (30 fields, 3 levels of nesting)', () => {
  const money = {
    type: 'record',
    name: 'Money',
    fields: [
      { name: 'cents', type: 'long' },
      { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD', 'GBP'] } },
    ],
  } as const;

  const invoice = avroSchema({
    type: 'record',
    name: 'Invoice',
    namespace: 'com.acme.billing',
    fields: [
      { name: 'f01', type: 'string' },
      { name: 'f02', type: 'int' },
      { name: 'f03', type: 'long' },
      { name: 'f04', type: 'double' },
      { name: 'f05', type: 'boolean' },
      { name: 'f06', type: ['null', 'string'], default: null },
      { name: 'f07', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'f08', type: 'bytes' },
      { name: 'f09', type: { type: 'array', items: 'string' } },
      { name: 'f10', type: { type: 'map', values: 'double' } },
      { name: 'total', type: money },
      { name: 'tax', type: 'Money' },
      { name: 'f13', type: 'Currency' },
      {
        name: 'customer',
        type: {
          type: 'record',
          name: 'Customer',
          fields: [
            { name: 'c01', type: 'string' },
            { name: 'c02', type: ['null', 'string'] },
            { name: 'c03', type: 'com.acme.billing.Currency' },
            {
              name: 'address',
              type: {
                type: 'record',
                name: 'Address',
                fields: [
                  { name: 'a01', type: 'string' },
                  { name: 'a02', type: 'string' },
                  { name: 'a03', type: ['null', 'string'], default: null },
                  { name: 'a04', type: { type: 'fixed', name: 'Country', size: 2 } },
                  {
                    name: 'geo',
                    type: {
                      type: 'record',
                      name: 'Geo',
                      fields: [
                        { name: 'lat', type: 'double' },
                        { name: 'lon', type: 'double' },
                      ],
                    },
                  },
                ],
              },
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
              { name: 'price', type: 'Money' },
              { name: 'shipTo', type: ['null', 'Address'], default: null },
              { name: 'attributes', type: { type: 'map', values: ['null', 'string', 'long'] }, default: {} },
            ],
          },
        },
      },
      { name: 'f16', type: 'string' },
      { name: 'f17', type: 'string' },
      { name: 'f18', type: 'int', default: 0 },
      { name: 'f19', type: 'long', default: 0 },
      { name: 'f20', type: 'float' },
      { name: 'f21', type: ['null', 'double'], default: null },
      { name: 'f22', type: { type: 'enum', name: 'Status', symbols: ['DRAFT', 'SENT', 'PAID', 'VOID'] } },
      { name: 'f23', type: { type: 'array', items: 'Status' } },
      { name: 'f24', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
      { name: 'f25', type: ['null', 'Customer'], default: null },
      { name: 'f26', type: { type: 'map', values: { type: 'array', items: 'Money' } } },
      { name: 'f27', type: 'boolean', default: false },
      { name: 'f28', type: 'string', default: '' },
      { name: 'f29', type: { type: 'fixed', name: 'Hash', size: 32 } },
      { name: 'f30', type: ['null', 'Hash'], default: null },
    ],
  });
  type Invoice = CodecData<typeof invoice>;

  it('infers nested records, references and defaults', () => {
    expectTypeOf<Invoice['tax']>().toEqualTypeOf<{ cents: number; currency: 'EUR' | 'USD' | 'GBP' }>();
    expectTypeOf<Invoice['customer']['address']['geo']>().toEqualTypeOf<{ lat: number; lon: number }>();
    expectTypeOf<Invoice['customer']['address']['a04']>().toEqualTypeOf<Buffer>();
    expectTypeOf<Invoice['lines'][number]['shipTo']>().toEqualTypeOf<
      | {
          a01: string;
          a02: string;
          a03?: string | null | undefined;
          a04: Buffer;
          geo: { lat: number; lon: number };
        }
      | null
      | undefined
    >();
    expectTypeOf<Invoice['f26']>().toEqualTypeOf<
      Record<string, readonly { cents: number; currency: 'EUR' | 'USD' | 'GBP' }[]>
    >();
    expectTypeOf<Invoice['f30']>().toEqualTypeOf<Buffer | null | undefined>();
    expectTypeOf<keyof Invoice>().toEqualTypeOf<
      | 'f01'
      | 'f02'
      | 'f03'
      | 'f04'
      | 'f05'
      | 'f06'
      | 'f07'
      | 'f08'
      | 'f09'
      | 'f10'
      | 'total'
      | 'tax'
      | 'f13'
      | 'customer'
      | 'lines'
      | 'f16'
      | 'f17'
      | 'f18'
      | 'f19'
      | 'f20'
      | 'f21'
      | 'f22'
      | 'f23'
      | 'f24'
      | 'f25'
      | 'f26'
      | 'f27'
      | 'f28'
      | 'f29'
      | 'f30'
    >();
  });
});
