import { defineEvent, defineTopic, jsonSchema } from '@inlet/core';

export const orderStatuses = ['placed', 'paid', 'shipped'] as const;

/** An order moved to a new status. `revision` counts the order's changes, from 1. */
export const OrderStatusChanged = defineEvent({
  type: 'order.status-changed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string', minLength: 1 },
      revision: { type: 'integer', minimum: 1 },
      status: { enum: orderStatuses },
      changedAt: { type: 'string' },
    },
    required: ['orderId', 'revision', 'status', 'changedAt'],
    additionalProperties: false,
  }),
  key: (change) => change.orderId, // one order's changes stay in order
  eventTime: (change) => change.changedAt,
  entityVersion: (change) => change.revision, // an older revision arriving late is skipped
});

/** The topic order changes go to; the name is given so every run can use a fresh one. */
export function orderStatusTopic(name: string) {
  return defineTopic({ name, events: [OrderStatusChanged], partitions: 3 });
}
