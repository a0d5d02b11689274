import { avroSchema, defineEvent, defineTopic, InletError, jsonSchema } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import {
  columnValue,
  dataColumnsOf,
  postgresTypeOfAvro,
  postgresTypeOfJsonSchema,
  snakeCase,
} from './column-mapping';

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

describe('snakeCase', () => {
  it('turns property names into column names', () => {
    expect(snakeCase('orderId')).toBe('order_id');
    expect(snakeCase('HTTPStatus')).toBe('http_status');
    expect(snakeCase('line-items')).toBe('line_items');
    expect(snakeCase('status')).toBe('status');
    expect(snakeCase('value2Total')).toBe('value2_total');
  });
});

describe('postgresTypeOfJsonSchema', () => {
  it('types columns from the JSON type', () => {
    expect(postgresTypeOfJsonSchema({ type: 'string' })).toBe('text');
    expect(postgresTypeOfJsonSchema({ type: 'string', format: 'date-time' })).toBe('timestamptz');
    expect(postgresTypeOfJsonSchema({ type: 'integer' })).toBe('bigint');
    expect(postgresTypeOfJsonSchema({ type: 'number' })).toBe('double precision');
    expect(postgresTypeOfJsonSchema({ type: 'boolean' })).toBe('boolean');
    expect(postgresTypeOfJsonSchema({ type: 'object' })).toBe('jsonb');
    expect(postgresTypeOfJsonSchema({ type: 'array' })).toBe('jsonb');
    expect(postgresTypeOfJsonSchema({ type: ['integer', 'null'] })).toBe('bigint');
    expect(postgresTypeOfJsonSchema({ type: ['integer', 'string'] })).toBe('jsonb');
    expect(postgresTypeOfJsonSchema({ enum: ['a', 'b'] })).toBe('text');
    expect(postgresTypeOfJsonSchema(true)).toBe('jsonb');
  });
});

describe('postgresTypeOfAvro', () => {
  it('types columns from the Avro type', () => {
    expect(postgresTypeOfAvro('string')).toBe('text');
    expect(postgresTypeOfAvro('long')).toBe('bigint');
    expect(postgresTypeOfAvro('double')).toBe('double precision');
    expect(postgresTypeOfAvro(['null', 'int'])).toBe('bigint');
    expect(postgresTypeOfAvro({ type: 'long', logicalType: 'timestamp-millis' })).toBe('timestamptz');
    expect(postgresTypeOfAvro({ type: 'record', name: 'x', fields: [] })).toBe('jsonb');
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

  it('unites the columns of several event types, each once', () => {
    const OrderShipped = defineEvent({
      type: 'order.shipped',
      version: 1,
      schema: jsonSchema({
        type: 'object',
        properties: { orderId: { type: 'string' }, carrier: { type: 'string' } },
      }),
      key: (order) => String(order.orderId),
      eventTime: () => new Date(),
    });
    const orders = defineTopic({ name: 'orders', events: [OrderUpdated, OrderShipped] });
    const names = dataColumnsOf([orders], own).map(({ name }) => name);
    expect(names.filter((name) => name === 'order_id')).toHaveLength(1);
    expect(names.at(-1)).toBe('carrier');
  });

  it('refuses a property on a column of the sink, and two types for one column', () => {
    const withKey = defineEvent({
      type: 'keyed',
      version: 1,
      schema: jsonSchema({ type: 'object', properties: { key: { type: 'string' } } }),
      key: () => 'k',
      eventTime: () => new Date(),
    });
    const conflict = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return InletError.is(error) ? error.code : 'not an InletError';
      }
      return 'no error';
    };
    expect(conflict(() => dataColumnsOf([defineTopic({ name: 't', events: [withKey] })], own))).toBe(
      'INLET_POSTGRES_SINK_COLUMN_CONFLICT',
    );
    const numericOrderId = defineEvent({
      type: 'other',
      version: 1,
      schema: jsonSchema({ type: 'object', properties: { orderId: { type: 'integer' } } }),
      key: () => 'k',
      eventTime: () => new Date(),
    });
    const topic = defineTopic({ name: 't', events: [OrderUpdated, numericOrderId] });
    expect(conflict(() => dataColumnsOf([topic], own))).toBe('INLET_POSTGRES_SINK_COLUMN_CONFLICT');
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
