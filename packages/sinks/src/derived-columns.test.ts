import { avroSchema, defineEvent, defineTopic } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { derivedColumns, logicalTypeOfAvro, logicalTypeOfJsonSchema, snakeCase } from './derived-columns';
import { eventWith, topicOf } from './derived-columns.test-support';

class ConflictError extends Error {}
const conflict = (message: string) => new ConflictError(message);

describe('snakeCase', () => {
  it('turns property names into column names', () => {
    expect(
      ['orderId', 'HTTPStatus', 'line-items', 'status', 'value2Total', 'placedAt2'].map(snakeCase),
    ).toEqual(['order_id', 'http_status', 'line_items', 'status', 'value2_total', 'placed_at2']);
  });

  it("keeps a name's own underscores and trims them at the ends", () => {
    expect(snakeCase('a__b')).toBe('a__b');
    expect(snakeCase('_private_')).toBe('private');
    expect(snakeCase('a - b')).toBe('a_b');
  });
});

describe('logicalTypeOfJsonSchema', () => {
  it('types columns from the JSON type', () => {
    expect(logicalTypeOfJsonSchema({ type: 'string' })).toBe('text');
    expect(logicalTypeOfJsonSchema({ type: 'string', format: 'date-time' })).toBe('timestamp');
    expect(logicalTypeOfJsonSchema({ type: 'integer' })).toBe('integer');
    expect(logicalTypeOfJsonSchema({ type: 'number' })).toBe('double');
    expect(logicalTypeOfJsonSchema({ type: 'boolean' })).toBe('boolean');
    expect(logicalTypeOfJsonSchema({ type: 'object' })).toBe('json');
    expect(logicalTypeOfJsonSchema({ type: 'array' })).toBe('json');
    expect(logicalTypeOfJsonSchema({ type: ['integer', 'null'] })).toBe('integer');
    expect(logicalTypeOfJsonSchema({ type: ['integer', 'string'] })).toBe('json');
    expect(logicalTypeOfJsonSchema({ enum: ['a', 'b'] })).toBe('text');
    expect(logicalTypeOfJsonSchema({ enum: ['a', 1] })).toBe('json');
    expect(logicalTypeOfJsonSchema(true)).toBe('json');
  });
});

describe('logicalTypeOfAvro', () => {
  it('types columns from the Avro type', () => {
    expect(logicalTypeOfAvro('string')).toBe('text');
    expect(logicalTypeOfAvro({ type: 'enum', name: 'e', symbols: ['a'] })).toBe('text');
    expect(logicalTypeOfAvro('long')).toBe('integer');
    expect(logicalTypeOfAvro('double')).toBe('double');
    expect(logicalTypeOfAvro('boolean')).toBe('boolean');
    expect(logicalTypeOfAvro('bytes')).toBe('bytes');
    expect(logicalTypeOfAvro({ type: 'fixed', name: 'f', size: 4 })).toBe('bytes');
    expect(logicalTypeOfAvro(['null', 'int'])).toBe('integer');
    expect(logicalTypeOfAvro(['null', 'int', 'string'])).toBe('json');
    expect(logicalTypeOfAvro({ type: 'long', logicalType: 'timestamp-millis' })).toBe('timestamp');
    expect(logicalTypeOfAvro({ type: 'long', logicalType: 'timestamp-micros' })).toBe('timestamp');
    expect(logicalTypeOfAvro({ type: 'record', name: 'x', fields: [] })).toBe('json');
    expect(logicalTypeOfAvro({ type: 'array', items: 'string' })).toBe('json');
  });
});

describe('derivedColumns', () => {
  it("derives a column per top-level property across the topics' JSON Schema and Avro definitions", () => {
    const Placed = eventWith('order.placed', {
      orderId: { type: 'string' },
      quantity: { type: 'integer' },
      placedAt: { type: 'string', format: 'date-time' },
      note: { type: ['string', 'null'] },
    });
    const Shipped = defineEvent({
      type: 'order.shipped',
      version: 1,
      schema: avroSchema({
        type: 'record',
        name: 'Shipped',
        fields: [
          { name: 'orderId', type: 'string' },
          { name: 'shippedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
          { name: 'label', type: 'bytes' },
        ],
      }),
      key: (shipped) => shipped.orderId,
      eventTime: () => new Date(),
    });
    expect(
      derivedColumns([defineTopic({ name: 'orders', events: [Placed, Shipped] })], { conflict }),
    ).toEqual([
      { name: 'order_id', type: 'text', property: 'orderId' },
      { name: 'quantity', type: 'integer', property: 'quantity' },
      { name: 'placed_at', type: 'timestamp', property: 'placedAt' },
      { name: 'note', type: 'text', property: 'note' },
      { name: 'shipped_at', type: 'timestamp', property: 'shippedAt' },
      { name: 'label', type: 'bytes', property: 'label' },
    ]);
  });

  it('unites the columns of several event types and topics, each once, in the order first seen', () => {
    const a = eventWith('a', { orderId: { type: 'string' }, total: { type: 'number' } });
    const b = eventWith('b', { orderId: { type: 'string' }, carrier: { type: 'string' } });
    const names = derivedColumns([topicOf(a), topicOf(b)], { conflict }).map(({ name }) => name);
    expect(names).toEqual(['order_id', 'total', 'carrier']);
  });

  it("refuses two properties in one column, one property typed two ways, and the sink's own columns", () => {
    const typeName = (type: string) => type.toUpperCase();
    expect(() =>
      derivedColumns(
        [
          topicOf(
            eventWith('a', { orderId: { type: 'string' } }),
            eventWith('b', { order_id: { type: 'string' } }),
          ),
        ],
        {
          conflict,
          typeName,
        },
      ),
    ).toThrow(
      /^property "order_id" of event "b" maps to column "order_id", which property "orderId" \(TEXT\) already maps to; map the columns yourself with the columns option$/,
    );
    expect(() =>
      derivedColumns(
        [
          topicOf(
            eventWith('a', { code: { type: 'string' } }),
            eventWith('b', { code: { type: 'integer' } }),
          ),
        ],
        {
          conflict,
        },
      ),
    ).toThrow(ConflictError);
    expect(() =>
      derivedColumns([topicOf(eventWith('a', { deleted: { type: 'boolean' } }))], {
        conflict,
        reserved: ['key', 'deleted'],
      }),
    ).toThrow(/maps to column "deleted", which the sink keeps for itself/);
    expect(() =>
      derivedColumns([topicOf(eventWith('a', { '--': { type: 'string' } }))], { conflict }),
    ).toThrow(ConflictError);
  });
});
