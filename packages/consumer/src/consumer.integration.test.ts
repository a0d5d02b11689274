import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, UnrecoverableEventError } from './consumer';
import { ordersTopic, updated } from './fixtures/orders.fixture';
import { redriveDeadLetters } from './redrive';

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'consumer-integration' });
});
afterAll(async () => {
  await transport.close();
});

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function topicWith(partitions: number) {
  const orders = ordersTopic(uniqueName('consumer'));
  await transport.admin().createTopics([{ topic: orders.name, partitions }]);
  return orders;
}

describe('consumer on a real broker', () => {
  it('keeps its membership through handlers that take seconds per event', async () => {
    const orders = await topicWith(1);
    const producer = createProducer({ transport });
    const started: number[] = [];
    const consumer = createConsumer({
      transport,
      groupId: uniqueName('slow'),
      topics: [orders],
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      handle: async (event) => {
        started.push((event.data as { revision: number }).revision);
        await new Promise((resolve) => setTimeout(resolve, 4_000));
      },
    });
    await consumer.start();
    for (let revision = 0; revision < 3; revision += 1)
      await producer.send(orders, updated('slow-order', revision));
    await producer.close();
    await until(() => consumer.stats().handled === 3, 'three slow events', 60_000);
    // One assignment at the start and no rebalance: 12 s of handling outlived two session timeouts.
    expect(consumer.stats().rebalances).toBe(1);
    expect(started).toEqual([0, 1, 2]);
    await consumer.close();
  }, 90_000);

  it('dead-letters poison pills with their reasons, keeps flowing, and redrives', async () => {
    const orders = await topicWith(2);
    const producer = createProducer({ transport });
    const raw = transport.producer();
    let fixed = false;
    const handled: string[] = [];
    const consumer = createConsumer({
      transport,
      groupId: uniqueName('poison'),
      topics: [orders],
      retry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
      handle: async (event) => {
        const { orderId } = event.data as { orderId: string };
        if (orderId === 'bug' && !fixed) throw new UnrecoverableEventError('handler bug');
        handled.push(orderId);
      },
    });
    await consumer.start();
    await raw.send([
      {
        topic: orders.name,
        key: Buffer.from('junk'),
        value: Buffer.from('\u0000\u0001garbage'),
        headers: {},
      },
      {
        topic: orders.name,
        key: Buffer.from('wrong'),
        value: Buffer.from('{"total": "lots"}'),
        headers: {
          ce_specversion: '1.0',
          ce_id: 'w1',
          ce_source: 'x',
          ce_type: 'order.noted',
          ce_time: '2026-01-01T00:00:00Z',
          'content-type': 'application/json',
        },
      },
    ]);
    for (const orderId of ['a', 'bug', 'b', 'c']) await producer.send(orders, updated(orderId, 1));
    await until(
      () => handled.length === 3 && consumer.stats().deadLettered === 3,
      'three handled, three dead-lettered',
    );
    expect(handled.sort()).toEqual(['a', 'b', 'c']);

    fixed = true;
    const result = await redriveDeadLetters({
      transport,
      deadLetterTopic: `${orders.name}.dlq`,
      filter: (letter) => letter.errorCode === 'INLET_HANDLER_FAILED',
    });
    expect(result).toMatchObject({ seen: 3, redriven: 1, skipped: 2 });
    await until(() => handled.includes('bug'), 'the redriven event');
    await consumer.close();
    await producer.close();
    await raw.close();
  }, 60_000);
});
