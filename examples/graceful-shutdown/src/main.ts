// A service that emits an event per "request" until it is told to stop (SIGTERM / SIGINT), then
// shuts down the way every producer should: stop taking work, let close() deliver everything
// already accepted, report, exit 0. Run against a real broker:
//   KAFKA_BROKERS=127.0.0.1:9092 TOPIC=orders pnpm --filter @inlet/example-graceful-shutdown start
import { defineEvent, defineTopic, jsonSchema } from '@inlet/core';
import { createProducer, SendFailedError } from '@inlet/producer';

const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { orderId: { type: 'string' }, total: { type: 'number' }, placedAt: { type: 'string' } },
    required: ['orderId', 'total', 'placedAt'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
});
const orders = defineTopic({ name: process.env.TOPIC ?? 'orders', events: [OrderPlaced] });
const producer = createProducer({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') });

let accepting = true;
let accepted = 0;
let acknowledged = 0;
let failed = 0;

async function handleRequest(index: number): Promise<void> {
  accepted += 1;
  try {
    await producer.send(orders, {
      type: 'order.placed',
      data: { orderId: `order-${index % 100}`, total: index, placedAt: new Date().toISOString() },
    });
    acknowledged += 1;
  } catch (error) {
    if (!(error instanceof SendFailedError)) throw error;
    failed += 1;
  }
}

const inFlight = new Set<Promise<void>>();
let index = 0;
const ticker = setInterval(() => {
  for (let burst = 0; burst < 20 && accepting; burst += 1) {
    const request = handleRequest(index++);
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }
}, 5);
process.stdout.write('READY\n');

async function shutdown(signal: string): Promise<void> {
  accepting = false;
  clearInterval(ticker);
  // close() refuses new events, then waits until every accepted one is acknowledged (or failed).
  await producer.close();
  await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify({ signal, accepted, acknowledged, failed })}\n`);
  process.exit(failed === 0 ? 0 : 1);
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
