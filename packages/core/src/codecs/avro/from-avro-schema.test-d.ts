import { describe, expectTypeOf, it } from 'vitest';
import type { AvroSchema } from './avro-schema-types';
import type { FromAvroSchema } from './from-avro-schema';

describe('FromAvroSchema primitives and logical types', () => {
  it('maps each primitive, by name or as an object', () => {
    expectTypeOf<FromAvroSchema<'null'>>().toEqualTypeOf<null>();
    expectTypeOf<FromAvroSchema<'boolean'>>().toEqualTypeOf<boolean>();
    expectTypeOf<FromAvroSchema<'int'>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<'long'>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<'float'>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<'double'>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<'bytes'>>().toEqualTypeOf<Buffer>();
    expectTypeOf<FromAvroSchema<'string'>>().toEqualTypeOf<string>();
    expectTypeOf<FromAvroSchema<{ readonly type: 'string' }>>().toEqualTypeOf<string>();
    expectTypeOf<FromAvroSchema<{ readonly type: 'null' }>>().toEqualTypeOf<null>();
  });

  it('maps timestamp-millis on a long to Date, and other logical types to their underlying type', () => {
    expectTypeOf<FromAvroSchema<{ type: 'long'; logicalType: 'timestamp-millis' }>>().toEqualTypeOf<Date>();
    expectTypeOf<FromAvroSchema<{ type: 'int'; logicalType: 'timestamp-millis' }>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<{ type: 'long'; logicalType: 'timestamp-micros' }>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<{ type: 'int'; logicalType: 'date' }>>().toEqualTypeOf<number>();
    expectTypeOf<FromAvroSchema<{ type: 'string'; logicalType: 'uuid' }>>().toEqualTypeOf<string>();
    expectTypeOf<
      FromAvroSchema<{ type: 'bytes'; logicalType: 'decimal'; precision: 9; scale: 2 }>
    >().toEqualTypeOf<Buffer>();
    expectTypeOf<
      FromAvroSchema<{ type: 'fixed'; name: 'Duration'; size: 12; logicalType: 'duration' }>
    >().toEqualTypeOf<Buffer>();
  });

  it('treats a dotted name whose last part is a primitive as that primitive, as avsc does', () => {
    expectTypeOf<FromAvroSchema<'com.acme.long'>>().toEqualTypeOf<number>();
  });
});

describe('FromAvroSchema complex types', () => {
  type Order = {
    type: 'record';
    name: 'Order';
    fields: [
      { name: 'orderId'; type: 'string' },
      { name: 'status'; type: { type: 'enum'; name: 'Status'; symbols: ['PLACED', 'PAID'] } },
      { name: 'lines'; type: { type: 'array'; items: { type: 'map'; values: 'int' } } },
      { name: 'checksum'; type: { type: 'fixed'; name: 'Checksum'; size: 4 } },
      { name: 'coupon'; type: ['null', 'string'] },
      { name: 'note'; type: ['null', 'string']; default: null },
      { name: 'priority'; type: 'int'; default: 0 },
      { name: 'tags'; type: { type: 'array'; items: 'string' }; default: [] },
    ];
  };

  it('makes fields with a default optional for writing', () => {
    expectTypeOf<FromAvroSchema<Order>>().toEqualTypeOf<{
      orderId: string;
      status: 'PLACED' | 'PAID';
      lines: readonly Record<string, number>[];
      checksum: Buffer;
      coupon: string | null;
      note?: string | null | undefined;
      priority?: number | undefined;
      tags?: readonly string[] | undefined;
    }>();
  });

  it('makes every field present, and arrays mutable, for reading', () => {
    expectTypeOf<FromAvroSchema<Order, 'read'>>().toEqualTypeOf<{
      orderId: string;
      status: 'PLACED' | 'PAID';
      lines: Record<string, number>[];
      checksum: Buffer;
      coupon: string | null;
      note: string | null;
      priority: number;
      tags: string[];
    }>();
  });

  it('maps a union of several kinds, at the top level too', () => {
    type Mixed = [
      'null',
      'boolean',
      'double',
      'string',
      'bytes',
      { type: 'long'; logicalType: 'timestamp-millis' },
      { type: 'array'; items: 'int' },
    ];
    expectTypeOf<FromAvroSchema<Mixed>>().toEqualTypeOf<
      null | boolean | number | string | Buffer | Date | readonly number[]
    >();
    expectTypeOf<FromAvroSchema<Mixed, 'read'>>().toEqualTypeOf<
      null | boolean | number | string | Buffer | Date | number[]
    >();
  });

  it('gives the empty record an empty object', () => {
    // biome-ignore lint/complexity/noBannedTypes: the empty record has no fields
    expectTypeOf<FromAvroSchema<{ type: 'record'; name: 'Empty'; fields: [] }>>().toEqualTypeOf<{}>();
  });
});

describe('FromAvroSchema named types', () => {
  type Shipment = {
    type: 'record';
    name: 'Shipment';
    namespace: 'com.acme.shipping';
    fields: [
      { name: 'from'; type: { type: 'record'; name: 'Address'; fields: [{ name: 'city'; type: 'string' }] } },
      { name: 'to'; type: 'Address' },
      { name: 'via'; type: ['null', 'com.acme.shipping.Address'] },
      {
        name: 'carrier';
        type: {
          type: 'record';
          name: 'Carrier';
          namespace: 'com.acme.partners';
          fields: [
            { name: 'depot'; type: 'com.acme.shipping.Address' },
            { name: 'home'; type: 'Address' },
            { name: 'code'; type: { type: 'enum'; name: 'Code'; namespace: ''; symbols: ['DHL', 'UPS'] } },
            { name: 'backup'; type: '.Code' },
            { name: 'region'; type: { type: 'enum'; name: 'Region'; symbols: ['EU'] } },
          ];
        };
      },
      { name: 'region'; type: 'com.acme.partners.Region' },
      { name: 'stop'; type: { type: 'enum'; name: 'x.y.Stop'; symbols: ['A'] } },
      { name: 'dotted'; type: { type: 'record'; name: 'x.y.Leg'; fields: [{ name: 'next'; type: 'Stop' }] } },
    ];
  };
  type Data = FromAvroSchema<Shipment>;

  it('resolves short names in the enclosing namespace, full names, and absolute names', () => {
    expectTypeOf<Data['to']>().toEqualTypeOf<{ city: string }>();
    expectTypeOf<Data['via']>().toEqualTypeOf<{ city: string } | null>();
    expectTypeOf<Data['carrier']['depot']>().toEqualTypeOf<{ city: string }>();
    expectTypeOf<Data['carrier']['backup']>().toEqualTypeOf<'DHL' | 'UPS'>();
    expectTypeOf<Data['region']>().toEqualTypeOf<'EU'>();
  });

  it('gives never for a short name that does not exist in the enclosing namespace (avsc rejects it too)', () => {
    // Inside com.acme.partners, `Address` means com.acme.partners.Address, which is not defined.
    expectTypeOf<Data['carrier']['home']>().toBeNever();
  });

  it('resolves the fields of a dotted record name in that name’s namespace', () => {
    expectTypeOf<Data['dotted']>().toEqualTypeOf<{ next: 'A' }>();
  });

  it('types the recursion point of a recursive record as unknown', () => {
    type Node = {
      type: 'record';
      name: 'Node';
      fields: [
        { name: 'value'; type: 'int' },
        { name: 'next'; type: ['null', 'Node'] },
        { name: 'children'; type: { type: 'array'; items: 'Node' } },
      ];
    };
    expectTypeOf<FromAvroSchema<Node>>().toEqualTypeOf<{
      value: number;
      next: unknown;
      children: readonly unknown[];
    }>();
  });
});

describe('FromAvroSchema with schemas that are not literals', () => {
  it('gives unknown', () => {
    expectTypeOf<FromAvroSchema<AvroSchema>>().toBeUnknown();
    expectTypeOf<FromAvroSchema<string>>().toBeUnknown();
    expectTypeOf<FromAvroSchema<{ type: 'array'; items: AvroSchema }>>().toEqualTypeOf<readonly unknown[]>();
  });
});
