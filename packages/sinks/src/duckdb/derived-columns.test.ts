import { avroSchema, defineEvent, defineTopic, jsonSchema } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { derivedDataColumns, snakeCase } from './derived-columns';

describe('derived columns', () => {
  it('snake_cases property names', () => {
    expect(['orderId', 'HTTPStatus', 'line-items', 'total', 'placedAt2'].map(snakeCase)).toEqual([
      'order_id',
      'http_status',
      'line_items',
      'total',
      'placed_at2',
    ]);
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
          { name: 'code', type: 'long' },
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
      // A string in one definition and a long in another: JSON holds both.
      { name: 'code', type: 'JSON', property: 'code' },
      { name: 'currency', type: 'VARCHAR', property: 'currency' },
      { name: 'shipped_at', type: 'TIMESTAMPTZ', property: 'shippedAt' },
      { name: 'carrier', type: 'VARCHAR', property: 'carrier' },
    ]);
  });
});
