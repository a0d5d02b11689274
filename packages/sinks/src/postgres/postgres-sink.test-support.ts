import { createEvent, defineEvent, defineTopic, jsonSchema, type TopicEvent } from '@inlet/core';
import type { SinkChange } from '../sink';

/** The quick start's order, with a status, a total and its lines. */
export const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      status: { type: 'string' },
      revision: { type: 'integer' },
      at: { type: 'string', format: 'date-time' },
      total: { type: 'number' },
      lines: { type: 'array', items: { type: 'string' } },
    },
    required: ['orderId', 'status', 'revision', 'at'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});

export const orders = defineTopic({ name: 'pg-sink-orders', events: [OrderUpdated] });
export type OrderEvent = TopicEvent<typeof orders>;

export function orderChange(
  orderId: string,
  revision: number,
  status: string,
  offset: string,
): SinkChange<OrderEvent> {
  const event = createEvent(
    OrderUpdated,
    { orderId, status, revision, at: new Date().toISOString(), total: 2.5, lines: ['a', 'b\tc'] },
    { source: 'urn:test' },
  ) as OrderEvent;
  return { kind: 'upsert', event, key: orderId, entityVersion: revision, offset };
}
