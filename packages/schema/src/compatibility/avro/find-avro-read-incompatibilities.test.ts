import { describe, expect, it } from 'vitest';
import { findAvroReadIncompatibilities } from './find-avro-read-incompatibilities';
import { parseAvroSchema } from './parse-avro-schema';

const record = (fields: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'record', name: 'Order', namespace: 'acme', fields, ...extra });
const kinds = (reader: string, writer: string) =>
  findAvroReadIncompatibilities(parseAvroSchema(reader), parseAvroSchema(writer)).map(
    (i) => `${i.kind} ${i.path}`,
  );

describe('findAvroReadIncompatibilities', () => {
  const v1 = record([
    { name: 'id', type: 'string' },
    { name: 'total', type: 'int' },
  ]);

  it.each([
    ['the same schema', v1, v1],
    [
      'an added field with a default',
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: 'int' },
        { name: 'note', type: ['null', 'string'], default: null },
      ]),
      v1,
    ],
    ['a removed field (the reader skips it)', record([{ name: 'id', type: 'string' }]), v1],
    [
      'int promoted to long',
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: 'long' },
      ]),
      v1,
    ],
    [
      'int promoted to double',
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: 'double' },
      ]),
      v1,
    ],
    [
      'string read as bytes',
      record([
        { name: 'id', type: 'bytes' },
        { name: 'total', type: 'int' },
      ]),
      v1,
    ],
    [
      'a field renamed with an alias',
      record([
        { name: 'orderId', aliases: ['id'], type: 'string' },
        { name: 'total', type: 'int' },
      ]),
      v1,
    ],
    [
      'a record renamed with an alias',
      record(
        [
          { name: 'id', type: 'string' },
          { name: 'total', type: 'int' },
        ],
        { name: 'Purchase', aliases: ['acme.Order'] },
      ),
      v1,
    ],
    [
      'a value widened into a union',
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: ['null', 'int'] },
      ]),
      v1,
    ],
  ])('accepts %s', (_, reader, writer) => {
    expect(kinds(reader, writer)).toEqual([]);
  });

  it.each([
    [
      'a field added without a default',
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: 'int' },
        { name: 'currency', type: 'string' },
      ]),
      v1,
      ['FIELD_ADDED_WITHOUT_DEFAULT /fields/currency'],
    ],
    [
      'long narrowed to int',
      v1,
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: 'long' },
      ]),
      ['TYPE_CHANGED /fields/total'],
    ],
    [
      'a type changed',
      record([
        { name: 'id', type: 'int' },
        { name: 'total', type: 'int' },
      ]),
      v1,
      ['TYPE_CHANGED /fields/id'],
    ],
    [
      'a record renamed without an alias',
      record(
        [
          { name: 'id', type: 'string' },
          { name: 'total', type: 'int' },
        ],
        { name: 'Purchase' },
      ),
      v1,
      ['NAME_CHANGED '],
    ],
    [
      'an enum symbol removed',
      record([{ name: 'status', type: { type: 'enum', name: 'Status', symbols: ['A'] } }]),
      record([{ name: 'status', type: { type: 'enum', name: 'Status', symbols: ['A', 'B'] } }]),
      ['ENUM_SYMBOL_REMOVED /fields/status/symbols'],
    ],
    [
      'a union branch the reader lacks',
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: 'int' },
      ]),
      record([
        { name: 'id', type: 'string' },
        { name: 'total', type: ['null', 'int'] },
      ]),
      ['TYPE_CHANGED /fields/total/0'],
    ],
    [
      'a nested array item type narrowed',
      record([{ name: 'lines', type: { type: 'array', items: 'int' } }]),
      record([{ name: 'lines', type: { type: 'array', items: 'string' } }]),
      ['TYPE_CHANGED /fields/lines/items'],
    ],
  ])('names %s', (_, reader, writer, expected) => {
    expect(kinds(reader, writer)).toEqual(expected);
  });

  it('accepts an enum symbol removed when the reader enum has a default', () => {
    const reader = record([
      {
        name: 'status',
        type: { type: 'enum', name: 'Status', symbols: ['A', 'UNKNOWN'], default: 'UNKNOWN' },
      },
    ]);
    const writer = record([
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['A', 'B', 'UNKNOWN'] } },
    ]);
    expect(kinds(reader, writer)).toEqual([]);
  });

  it('resolves named references from other schemas', () => {
    const address = JSON.stringify({
      type: 'record',
      name: 'Address',
      namespace: 'acme',
      fields: [{ name: 'city', type: 'string' }],
    });
    const customer = record([{ name: 'address', type: 'acme.Address' }]);
    expect(
      findAvroReadIncompatibilities(
        parseAvroSchema(customer, [address]),
        parseAvroSchema(customer, [address]),
      ),
    ).toEqual([]);
  });

  it('refuses invalid schema text with INLET_SCHEMA_INVALID', () => {
    expect(() =>
      parseAvroSchema('{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}'),
    ).toThrow(expect.objectContaining({ code: 'INLET_SCHEMA_INVALID' }));
    expect(() => parseAvroSchema('not json')).toThrow(
      expect.objectContaining({ code: 'INLET_SCHEMA_INVALID' }),
    );
  });
});
