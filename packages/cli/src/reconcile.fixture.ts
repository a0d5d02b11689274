// Definitions for the `inlet reconcile` end-to-end tests: the topic's name comes from the test.
import { defineEvent, defineTopic, jsonSchema } from '@inlet/core';

export const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      status: { type: 'string' },
      qty: { type: 'integer' },
      revision: { type: 'integer' },
      at: { type: 'string' },
    },
    required: ['orderId', 'status', 'qty', 'revision', 'at'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});

export const orders = defineTopic({
  name: process.env.INLET_RECONCILE_TOPIC ?? 'inlet-reconcile-orders',
  events: [OrderUpdated],
  partitions: 3,
});
