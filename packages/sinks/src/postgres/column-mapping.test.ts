import { avroSchema, defineEvent, defineTopic, InletError, jsonSchema } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { eventWith, topicOf } from '../derived-columns.test-support';
import { columnValue, dataColumnsOf, postgresType } from './column-mapping';

const own = ['key', 'entity_version', 'event_id', 'event_time', 'deleted'];

const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      status: { type: 'string', enum: ['placed', 'shipped'] },
      revision: { type: 'integer' },
      total: { type: 'number' },
      paid: { type: 'boolean' },
      at: { type: 'string', format: 'date-time' },
      lines: { type: 'array', items: { type: 'string' } },
      address: { type: 'object' },
      note: { type: ['string', 'null'] },
    },
    required: ['orderId'],
  }),
  key: (order) => order.orderId,
  eventTime: () => new Date(),
});

describe('postgresType', () => {
  it('names each logical type in PostgreSQL', () => {
    expect(
      (['text', 'timestamp', 'integer', 'double', 'boolean', 'json', 'bytes'] as const).map(postgresType),
    ).toEqual(['text', 'timestamptz', 'bigint', 'double precision', 'boolean', 'jsonb', 'bytea']);
  });
});

describe('dataColumnsOf', () => {
  it('derives a snake_case column per top-level property, typed from the schema', () => {
    const orders = defineTopic({ name: 'orders', events: [OrderUpdated] });
    expect(dataColumnsOf([orders], own)).toEqual([
      { name: 'order_id', type: 'text', property: 'orderId' },
      { name: 'status', type: 'text', property: 'status' },
      { name: 'revision', type: 'bigint', property: 'revision' },
      { name: 'total', type: 'double precision', property: 'total' },
      { name: 'paid', type: 'boolean', property: 'paid' },
      { name: 'at', type: 'timestamptz', property: 'at' },
      { name: 'lines', type: 'jsonb', property: 'lines' },
      { name: 'address', type: 'jsonb', property: 'address' },
      { name: 'note', type: 'text', property: 'note' },
    ]);
  });

  it('reads Avro records too', () => {
    const Reading = defineEvent({
      type: 'reading',
      version: 1,
      schema: avroSchema({
        type: 'record',
        name: 'Reading',
        fields: [
          { name: 'meterId', type: 'string' },
          { name: 'value', type: 'double' },
        ],
      }),
      key: (reading) => reading.meterId,
      eventTime: () => new Date(),
    });
    expect(dataColumnsOf([defineTopic({ name: 'r', events: [Reading] })], own)).toEqual([
      { name: 'meter_id', type: 'text', property: 'meterId' },
      { name: 'value', type: 'double precision', property: 'value' },
    ]);
  });

  it('refuses a property on a column of the sink, and two types for one column', () => {
    const conflict = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return InletError.is(error) ? error.code : 'not an InletError';
      }
      return 'no error';
    };
    expect(
      conflict(() => dataColumnsOf([topicOf(eventWith('keyed', { key: { type: 'string' } }))], own)),
    ).toBe('INLET_POSTGRES_SINK_COLUMN_CONFLICT');
    const topic = defineTopic({
      name: 't',
      events: [OrderUpdated, eventWith('other', { orderId: { type: 'integer' } })],
    });
    expect(conflict(() => dataColumnsOf([topic], own))).toBe('INLET_POSTGRES_SINK_COLUMN_CONFLICT');
    expect(() => dataColumnsOf([topic], own)).toThrow(/which property "orderId" \(text\) already maps to/);
  });
});

describe('columnValue', () => {
  it('makes parameters of values: JSON as text, times in ISO form, absent as null', () => {
    expect(columnValue({ a: 1 }, 'jsonb')).toBe('{"a":1}');
    expect(columnValue('x', 'jsonb')).toBe('"x"');
    expect(columnValue(undefined, 'text')).toBeNull();
    expect(columnValue(null, 'jsonb')).toBeNull();
    expect(columnValue(new Date(0), 'timestamptz')).toBe('1970-01-01T00:00:00.000Z');
    expect(columnValue(12n, 'bigint')).toBe('12');
    expect(columnValue(Buffer.from([1, 255]), 'bytea')).toBe('\\x01ff');
    expect(columnValue(3, 'bigint')).toBe(3);
    expect(columnValue(true, 'boolean')).toBe(true);
  });
});
