import { createInMemoryBackbone } from '@inlet/backbone';
import type { KafkaTransport } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import type { ConsumerOptions } from './consumer-options';
import { ordersTopic, updated } from './fixtures/orders.fixture';

// The partition lifecycle as a sink sees it: where to start a newly owned partition, and a last
// word before a partition goes.

type Orders = ReturnType<typeof ordersTopic>;
let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function setup(partitions = 1) {
  const transport = createInMemoryBackbone({ defaultPartitions: partitions, autoCreateTopics: true });
  opened.push(transport);
  return { transport, orders: ordersTopic(`hooks-${++counter}`) };
}

async function produce(transport: KafkaTransport, orders: Orders, count: number) {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  for (let revision = 0; revision < count; revision += 1)
    await producer.send(orders, updated(`o-${revision % 3}`, revision));
  await producer.close();
}

function consumerOf(transport: KafkaTransport, orders: Orders, extra: Partial<ConsumerOptions<[Orders]>>) {
  const consumer = createConsumer({
    transport,
    groupId: `group-${counter}`,
    topics: [orders],
    commitIntervalMs: 10,
    sessionTimeoutMs: 6_000,
    handle: async () => undefined,
    ...extra,
  } as ConsumerOptions<[Orders]>);
  opened.push(consumer);
  return consumer;
}

describe('onPartitionsAssigned', () => {
  it('starts a partition from the offset it returns, before anything is fetched', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 10);
    const revisions: number[] = [];
    const consumer = consumerOf(transport, orders, {
      onPartitionsAssigned: async (partitions) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return partitions.map(({ topic, partition }) => ({ topic, partition, offset: '6' }));
      },
      handle: async (event) => {
        revisions.push((event.data as { revision: number }).revision);
      },
    });
    await consumer.start();
    await consumer.caughtUp();
    expect(revisions.sort((a, b) => a - b)).toEqual([6, 7, 8, 9]);
  });

  it('stops the consumer when it keeps failing, rather than reading from the wrong place', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 3);
    let handled = 0;
    const consumer = consumerOf(transport, orders, {
      serviceRetry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
      onPartitionsAssigned: async () => {
        throw new Error('offsets table unreachable');
      },
      handle: async () => {
        handled += 1;
      },
    });
    await consumer.start();
    const failure = await consumer.stopped();
    expect(failure?.message).toMatch(
      /assignment hook onPartitionsAssigned failed after 2 attempts: offsets table unreachable/,
    );
    expect(handled).toBe(0);
  });
});

describe('onPartitionsRevoked', () => {
  it('lets the owner flush before the final commit when the consumer closes', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 5);
    // A sink that buffers: it holds each event's commit until it flushes.
    const buffered: (() => void)[] = [];
    const revoked: string[] = [];
    const groupId = `group-${counter}`;
    const consumer = consumerOf(transport, orders, {
      groupId,
      handle: async (_event, context) => {
        buffered.push(context.holdCommit());
      },
      onPartitionsRevoked: async (partitions) => {
        revoked.push(...partitions.map(({ topic, partition }) => `${topic}/${partition}`));
        for (const flush of buffered.splice(0)) flush();
      },
    });
    await consumer.start();
    await until(() => consumer.stats().handled === 5, 'five handled');
    await consumer.close();
    expect(revoked).toEqual([`${orders.name}/0`]);
    const [committed] = await transport.admin().groupOffsets(groupId, orders.name);
    expect(committed?.offset).toBe('5');
  });

  it('is called for the partitions that move before the new member gets them', async () => {
    const { transport, orders } = setup(2);
    await produce(transport, orders, 6);
    const log: string[] = [];
    const groupId = `group-${counter}`;
    const first = consumerOf(transport, orders, {
      groupId,
      onPartitionsRevoked: async (partitions) => {
        log.push(`first revoked ${partitions.length}`);
      },
    });
    await first.start();
    await first.caughtUp();
    const second = consumerOf(transport, orders, {
      groupId,
      onPartitionsAssigned: async (partitions) => {
        log.push(`second assigned ${partitions.length}`);
      },
    });
    await second.start();
    await until(() => log.includes('second assigned 1'), 'the second member assigned a partition');
    expect(log.indexOf('first revoked 2')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('first revoked 2')).toBeLessThan(log.indexOf('second assigned 1'));
  });
});
