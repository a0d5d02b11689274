import { describe, expectTypeOf, it } from 'vitest';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import type { InletEvent, TopicEvent } from '../envelope/inlet-event';
import { defineEvent, type EventData, type EventType } from './define-event';
import { defineTopic, type TopicEventData, type TopicEventType } from './define-topic';

const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { orderId: { type: 'string' }, total: { type: 'number' }, placedAt: { type: 'string' } },
    required: ['orderId', 'total', 'placedAt'],
    additionalProperties: false,
  }),
  key: (order) => {
    expectTypeOf(order).toEqualTypeOf<{ orderId: string; total: number; placedAt: string }>();
    return order.orderId;
  },
  eventTime: (order) => order.placedAt,
});

const OrderCancelled = defineEvent({
  type: 'order.cancelled',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      reason: { enum: ['customer', 'fraud'] },
      at: { type: 'number' },
    },
    required: ['orderId', 'reason', 'at'],
    additionalProperties: false,
  }),
  key: (cancellation) => cancellation.orderId,
  eventTime: (cancellation) => cancellation.at,
});

const orders = defineTopic({ name: 'orders', events: [OrderPlaced, OrderCancelled] });

describe('event definition types', () => {
  it('infers the data type and the literal type name', () => {
    expectTypeOf<EventData<typeof OrderPlaced>>().toEqualTypeOf<{
      orderId: string;
      total: number;
      placedAt: string;
    }>();
    expectTypeOf<EventType<typeof OrderPlaced>>().toEqualTypeOf<'order.placed'>();
  });

  it('gives a topic a discriminated union of its events', () => {
    expectTypeOf<TopicEventType<typeof orders>>().toEqualTypeOf<'order.placed' | 'order.cancelled'>();
    expectTypeOf<TopicEventData<typeof orders, 'order.cancelled'>['reason']>().toEqualTypeOf<
      'customer' | 'fraud'
    >();
    const handle = (event: TopicEvent<typeof orders>) => {
      if (event.type === 'order.cancelled') {
        expectTypeOf(event.data.reason).toEqualTypeOf<'customer' | 'fraud'>();
      } else {
        expectTypeOf(event.data.total).toEqualTypeOf<number>();
      }
    };
    expectTypeOf(handle).parameter(0).toMatchTypeOf<InletEvent>();
  });

  it('rejects extractors that return the wrong thing', () => {
    defineEvent({
      type: 'bad.key',
      version: 1,
      schema: jsonSchema({ type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }),
      // @ts-expect-error a key must be a string or bytes
      key: (data) => data.n,
      eventTime: () => 0,
    });
  });
});
