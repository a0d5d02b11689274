import { avroSchema, defineEvent, defineTopic, jsonSchema } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { eventWith, topicOf } from '../derived-columns.test-support';
import { derivedDataColumns, duckDbType } from './derived-columns';

describe('derived columns', () => {
  it('names each logical type in DuckDB', () => {
    expect(
      (['text', 'timestamp', 'integer', 'double', 'boolean', 'json', 'bytes'] as const).map(duckDbType),
    ).toEqual(['VARCHAR', 'TIMESTAMPTZ', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'JSON', 'BLOB']);
  });

  it("types each top-level property from its JSON schema, across the topics' definitions", () => {
    const Placed = defineEvent({
      type: 'order.placed',
      version: 1,
      schema: jsonSchema({
        type: 'object',
        properties: {
          orderId: { type: 'string' },
          quantity: { type: 'integer' },
          total: { type: 'number' },
          paid: { type: 'boolean' },
          placedAt: { type: 'string', format: 'date-time' },
          lines: { type: 'array', items: { type: 'string' } },
          address: { type: 'object' },
          note: { type: ['string', 'null'] },
          code: { type: 'string' },
          currency: { enum: ['EUR', 'USD'] },
        },
        required: ['orderId'],
      }),
      key: (order) => order.orderId,
      eventTime: () => new Date(),
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
          { name: 'carrier', type: ['null', 'string'] },
          { name: 'label', type: 'bytes' },
        ],
      }),
      key: (shipped) => shipped.orderId,
      eventTime: () => new Date(),
    });
    const orders = defineTopic({ name: 'orders', events: [Placed, Shipped] });
    expect(derivedDataColumns([orders])).toEqual([
      { name: 'order_id', type: 'VARCHAR', property: 'orderId' },
      { name: 'quantity', type: 'BIGINT', property: 'quantity' },
      { name: 'total', type: 'DOUBLE', property: 'total' },
      { name: 'paid', type: 'BOOLEAN', property: 'paid' },
      { name: 'placed_at', type: 'TIMESTAMPTZ', property: 'placedAt' },
      { name: 'lines', type: 'JSON', property: 'lines' },
      { name: 'address', type: 'JSON', property: 'address' },
      { name: 'note', type: 'VARCHAR', property: 'note' },
      { name: 'code', type: 'VARCHAR', property: 'code' },
      { name: 'currency', type: 'VARCHAR', property: 'currency' },
      { name: 'shipped_at', type: 'TIMESTAMPTZ', property: 'shippedAt' },
      { name: 'carrier', type: 'VARCHAR', property: 'carrier' },
      { name: 'label', type: 'BLOB', property: 'label' },
    ]);
  });

  it('refuses a conflict with its own code, naming DuckDB types', () => {
    const topic = topicOf(
      eventWith('a', { orderId: { type: 'string' } }),
      eventWith('b', { order_id: { type: 'string' } }),
    );
    expect(() => derivedDataColumns([topic])).toThrow(
      expect.objectContaining({
        code: 'INLET_DUCKDB_COLUMN_CONFLICT',
        message: expect.stringMatching(/which property "orderId" \(VARCHAR\) already maps to/),
      }),
    );
    expect(() =>
      derivedDataColumns([topicOf(eventWith('a', { deleted: { type: 'boolean' } }))], ['key', 'deleted']),
    ).toThrow(expect.objectContaining({ code: 'INLET_DUCKDB_COLUMN_CONFLICT' }));
  });
});
