import { createInMemoryBackbone } from '@inlet/backbone';
import type { KafkaTransport, TopicEvent } from '@inlet/core';
import { createProducer, type InletProducer } from '@inlet/producer';
import { withContract } from '@inlet/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer, type InletConsumer, UnrecoverableEventError } from './consumer';
import { DeadLetterHeader } from './dead-letter';
import { OrderUpdated, ordersTopic, updated } from './fixtures/orders.fixture';
import { redriveDeadLetters } from './redrive';
import { replayGroup } from './replay';
import { createMemoryVersionStore } from './stores/memory-stores';

let counter = 0;
const name = (prefix: string) => `${prefix}-${++counter}`;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

function setup(partitions = 3) {
  const transport = createInMemoryBackbone({ defaultPartitions: partitions, autoCreateTopics: true });
  opened.push(transport);
  const orders = ordersTopic(name('orders'));
  const producer = createProducer({ transport, linger: { ms: 0 } });
  opened.push(producer);
  return { transport, orders, producer };
}

type Orders = ReturnType<typeof ordersTopic>;
type OrderEvent = TopicEvent<Orders>;

function consume(
  transport: KafkaTransport,
  orders: Orders,
  handle: (event: OrderEvent) => Promise<void>,
  extra: Partial<Parameters<typeof createConsumer<[Orders]>>[0]> = {},
): InletConsumer {
  const consumer = createConsumer({
    transport,
    groupId: extra.groupId ?? name('group'),
    topics: [orders],
    handle: (event) => handle(event),
    retry: { minDelayMs: 1, maxDelayMs: 5 },
    commitIntervalMs: 20,
    ...extra,
  } as Parameters<typeof createConsumer<[Orders]>>[0]);
  opened.push(consumer);
  return consumer;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function sendAll(producer: InletProducer, orders: Orders, events: ReturnType<typeof updated>[]) {
  return Promise.all(events.map((event) => producer.send(orders, event)));
}

describe('consumer on the in-memory backbone', () => {
  it('handles each key in order while different keys run concurrently', async () => {
    const { transport, orders, producer } = setup(1);
    const seen = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    const consumer = consume(transport, orders, async (event) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      const data = event.data as { orderId: string; revision: number };
      seen.set(data.orderId, [...(seen.get(data.orderId) ?? []), data.revision]);
      running -= 1;
    });
    await consumer.start();
    await sendAll(
      producer,
      orders,
      Array.from({ length: 200 }, (_, index) => updated(`order-${index % 20}`, Math.floor(index / 20))),
    );
    await until(() => consumer.stats().handled === 200, '200 handled');
    expect(maxRunning).toBeGreaterThan(5);
    for (const revisions of seen.values()) expect(revisions).toEqual([...Array(10).keys()]);
  });

  it('handles an event once however often it is delivered, and counts the duplicates', async () => {
    const { transport, orders, producer } = setup();
    const handled: string[] = [];
    const consumer = consume(transport, orders, async (event) => {
      handled.push(event.id);
    });
    await consumer.start();
    const first = await producer.send(orders, updated('order-1', 1));
    for (let copy = 0; copy < 4; copy += 1)
      await producer.send(orders, { ...updated('order-1', 1), id: first.id });
    await producer.send(orders, updated('order-2', 1));
    await until(() => consumer.stats().handled + consumer.stats().duplicates === 6, 'all delivered');
    expect(handled.filter((id) => id === first.id)).toHaveLength(1);
    expect(consumer.stats()).toMatchObject({ handled: 2, duplicates: 4 });
  });

  it('skips events older than the last handled version of their entity, counting them', async () => {
    const { transport, orders, producer } = setup(1);
    const revisions: number[] = [];
    const consumer = consume(
      transport,
      orders,
      async (event) => {
        revisions.push((event.data as { revision: number }).revision);
      },
      { versionGate: { store: createMemoryVersionStore() } },
    );
    await consumer.start();
    for (const revision of [1, 3, 2, 4, 4, 1]) await producer.send(orders, updated('order-1', revision));
    await until(() => consumer.stats().handled + consumer.stats().stale === 6, 'all six');
    expect(revisions).toEqual([1, 3, 4]);
    expect(consumer.stats().stale).toBe(3);
  });

  it('retries failures, then dead-letters with the reasons while the stream keeps flowing', async () => {
    const { transport, orders, producer } = setup(1);
    let flaky = 2;
    const handled: string[] = [];
    const consumer = consume(
      transport,
      orders,
      async (event) => {
        const data = event.data as { orderId: string };
        if (data.orderId === 'flaky' && flaky-- > 0) throw new Error('database hiccup');
        if (data.orderId === 'broken') throw new Error('always fails');
        if (data.orderId === 'poison') throw new UnrecoverableEventError('cannot ever handle this');
        handled.push(data.orderId);
      },
      { retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 } },
    );
    await consumer.start();
    await sendAll(producer, orders, [
      updated('flaky', 1),
      updated('broken', 1),
      updated('poison', 1),
      updated('fine', 1),
    ]);
    await until(
      () => consumer.stats().handled === 2 && consumer.stats().deadLettered === 2,
      'two handled, two dead-lettered',
    );
    expect(handled.sort()).toEqual(['fine', 'flaky']);
    expect(consumer.stats().retries).toBe(2 + 3);

    const letters = await transport.admin().topicOffsets(`${orders.name}.dlq`);
    expect(letters.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(2);
    const redriven: string[] = [];
    const result = await redriveDeadLetters({
      transport,
      deadLetterTopic: `${orders.name}.dlq`,
      dryRun: true,
      filter: (letter) => {
        redriven.push(`${letter.errorCode}:${letter.sourceTopic}`);
        return true;
      },
    });
    expect(result).toMatchObject({ seen: 2, redriven: 2 });
    expect(redriven.sort()).toEqual([
      `INLET_HANDLER_FAILED:${orders.name}`,
      `INLET_HANDLER_FAILED:${orders.name}`,
    ]);
  });

  it('dead-letters undecodable records with their error codes and redrives fixed ones', async () => {
    const { transport, orders, producer } = setup(1);
    const handled: string[] = [];
    let acceptBroken = false;
    const consumer = consume(transport, orders, async (event) => {
      const data = event.data as { orderId: string };
      if (data.orderId === 'needs-fix' && !acceptBroken) throw new UnrecoverableEventError('not yet');
      handled.push(data.orderId);
    });
    await consumer.start();
    const raw = transport.producer();
    opened.push(raw);
    await raw.send([
      {
        topic: orders.name,
        key: Buffer.from('garbage'),
        value: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        headers: { ce_specversion: '1.0' },
      },
      {
        topic: orders.name,
        key: Buffer.from('o-x'),
        value: Buffer.from('{"orderId":""}'),
        headers: {
          ce_specversion: '1.0',
          ce_id: 'x1',
          ce_source: 's',
          ce_type: 'order.noted',
          ce_time: '2026-01-01T00:00:00Z',
          'content-type': 'application/json',
        },
      },
      {
        topic: orders.name,
        key: Buffer.from('o-y'),
        value: Buffer.from('{}'),
        headers: {
          ce_specversion: '1.0',
          ce_id: 'y1',
          ce_source: 's',
          ce_type: 'order.refunded',
          ce_time: '2026-01-01T00:00:00Z',
        },
      },
    ]);
    await producer.send(orders, updated('needs-fix', 1));
    await producer.send(orders, updated('after', 1));
    await until(
      () => consumer.stats().deadLettered === 4 && handled.includes('after'),
      'poison dead-lettered',
    );

    const codes: string[] = [];
    await redriveDeadLetters({
      transport,
      deadLetterTopic: `${orders.name}.dlq`,
      dryRun: true,
      filter: (letter) => {
        codes.push(letter.errorCode);
        return false;
      },
    });
    expect(codes).toEqual([
      'INLET_DECODE_MISSING_HEADER',
      'INLET_VALIDATION_FAILED',
      'INLET_DECODE_UNKNOWN_TYPE',
      'INLET_HANDLER_FAILED',
    ]);
    acceptBroken = true;
    const result = await redriveDeadLetters({
      transport,
      deadLetterTopic: `${orders.name}.dlq`,
      filter: (letter) => letter.errorCode === 'INLET_HANDLER_FAILED',
    });
    expect(result).toMatchObject({ redriven: 1, skipped: 3 });
    await until(() => handled.includes('needs-fix'), 'the redriven event');
  });

  it('commits an offset only when it and everything before it are done', async () => {
    const { transport, orders, producer } = setup(1);
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const groupId = name('group');
    const consumer = consume(
      transport,
      orders,
      async (event) => {
        if ((event.data as { orderId: string }).orderId === 'slow') await slow;
      },
      { groupId },
    );
    await consumer.start();
    await sendAll(producer, orders, [
      updated('fast-1', 1),
      updated('slow', 1),
      updated('fast-2', 1),
      updated('fast-3', 1),
    ]);
    await until(() => consumer.stats().handled === 3, 'the fast ones');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await transport.admin().groupOffsets(groupId, orders.name))[0]?.offset).toBe('1');
    releaseSlow();
    await until(() => consumer.stats().handled === 4, 'the slow one');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await transport.admin().groupOffsets(groupId, orders.name))[0]?.offset).toBe('4');
  });

  it('closes gracefully: drains, commits, and a restart continues where it stopped', async () => {
    const { transport, orders, producer } = setup(2);
    const groupId = name('group');
    const handled: number[] = [];
    const handler = async (event: OrderEvent) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      handled.push((event.data as { revision: number }).revision);
    };
    const first = consume(transport, orders, handler, { groupId });
    await first.start();
    await sendAll(
      producer,
      orders,
      Array.from({ length: 100 }, (_, index) => updated(`k${index % 10}`, index)),
    );
    await until(() => handled.length >= 40, 'some handled');
    await first.close();
    const handledByFirst = handled.length;
    const second = consume(transport, orders, handler, { groupId });
    await second.start();
    await until(() => handled.length >= 100, 'the rest');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Graceful: every event handled once, none twice.
    expect(handled).toHaveLength(100);
    expect(new Set(handled).size).toBe(100);
    expect(handledByFirst).toBeGreaterThanOrEqual(40);
  });

  it('keeps per-key order and loses nothing while members join and leave', async () => {
    const { transport, orders, producer } = setup(4);
    const groupId = name('group');
    const seen = new Map<string, number[]>();
    const handler = async (event: OrderEvent) => {
      const data = event.data as { orderId: string; revision: number };
      seen.set(data.orderId, [...(seen.get(data.orderId) ?? []), data.revision]);
    };
    const versions = createMemoryVersionStore();
    const a = consume(transport, orders, handler, { groupId, versionGate: { store: versions } });
    await a.start();
    const keys = 16;
    const perKey = 30;
    const sending = (async () => {
      for (let revision = 0; revision < perKey; revision += 1) {
        await sendAll(
          producer,
          orders,
          Array.from({ length: keys }, (_, key) => updated(`order-${key}`, revision)),
        );
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const b = consume(transport, orders, handler, { groupId, versionGate: { store: versions } });
    await b.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await b.close();
    await sending;
    await until(
      () => [...seen.values()].every((list) => list.at(-1) === perKey - 1) && seen.size === keys,
      'every key to its last revision',
    );
    for (const revisions of seen.values()) {
      // In order, nothing missing (a shared dedup window and version gate absorb redeliveries).
      expect(revisions).toEqual([...Array(perKey).keys()]);
    }
  });

  it('stops fetching while handlers are behind, and catches up', async () => {
    const { transport, orders, producer } = setup(1);
    let maxInFlight = 0;
    const consumer = consume(
      transport,
      orders,
      async () => {
        maxInFlight = Math.max(maxInFlight, consumer.stats().inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
      { maxInFlightEvents: 20, maxConcurrency: 2, maxBytesPerPartition: 2_000 },
    );
    await consumer.start();
    await producer.send(orders, updated('warm-up', 0));
    await until(() => consumer.stats().handled === 1, 'the consumer to be fetching');
    for (let burst = 0; burst < 30; burst += 1) {
      await sendAll(
        producer,
        orders,
        Array.from({ length: 10 }, (_, index) => updated(`k${index}`, burst)),
      );
    }
    await until(() => consumer.stats().handled === 301, 'all handled');
    // The limit, plus at most the one fetched batch (2 kB, a few records) that crossed it.
    expect(maxInFlight).toBeLessThanOrEqual(20 + 2_000 / 150);
    expect(maxInFlight).toBeGreaterThan(10);
  });

  it('hands batches to handleBatch and isolates the event that keeps failing', async () => {
    const { transport, orders, producer } = setup(1);
    const written: string[] = [];
    const consumer = createConsumer({
      transport,
      groupId: name('group'),
      topics: [orders],
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 },
      handleBatch: async (events) => {
        if (events.some((event) => (event.data as { orderId: string }).orderId === 'bad'))
          throw new Error('bulk insert failed');
        for (const event of events) written.push((event.data as { orderId: string }).orderId);
      },
    });
    opened.push(consumer);
    await consumer.start();
    await sendAll(
      producer,
      orders,
      ['a', 'b', 'bad', 'c'].map((orderId) => updated(orderId, 1)),
    );
    await until(
      () => consumer.stats().handled === 3 && consumer.stats().deadLettered === 1,
      'three written, one dead-lettered',
    );
    expect(written.sort()).toEqual(['a', 'b', 'c']);
  });

  it('redacts contract-tagged fields in dead-letter copies', async () => {
    const transport = createInMemoryBackbone({ autoCreateTopics: true });
    opened.push(transport);
    const Tagged = withContract(OrderUpdated, { tags: { secret: ['/orderId'] } });
    const { defineTopic } = await import('@inlet/core');
    const topic = defineTopic({ name: name('tagged'), events: [Tagged] });
    const producer = createProducer({ transport });
    opened.push(producer);
    const consumer = createConsumer({
      transport,
      groupId: name('group'),
      topics: [topic],
      handle: async () => {
        throw new UnrecoverableEventError('nope');
      },
    });
    opened.push(consumer);
    await consumer.start();
    await producer.send(topic, updated('customer-secret-id', 1));
    await until(() => consumer.stats().deadLettered === 1, 'dead-lettered');
    const letters: Buffer[] = [];
    await redriveDeadLetters({
      transport,
      deadLetterTopic: `${topic.name}.dlq`,
      dryRun: true,
      filter: (letter) => {
        letters.push(letter.record.value as Buffer);
        expect(letter.redacted).toBe(true);
        expect(letter.record.headers[DeadLetterHeader.redacted]?.toString()).toBe('true');
        return true;
      },
    });
    expect(letters[0]?.toString()).toContain('<redacted:secret>');
    expect(letters[0]?.toString()).not.toContain('customer-secret-id');
  });

  it('replays a group from a point in time, with a dry run first', async () => {
    const { transport, orders, producer } = setup(1);
    const groupId = name('group');
    const handled: number[] = [];
    const consumer = consume(
      transport,
      orders,
      async (event) => {
        handled.push((event.data as { revision: number }).revision);
      },
      { groupId, dedup: false },
    );
    await consumer.start();
    const results = await sendAll(
      producer,
      orders,
      Array.from({ length: 10 }, (_, revision) => updated('o', revision)),
    );
    await until(() => handled.length === 10, 'first pass');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await consumer.close();

    const dryRun = await replayGroup({
      transport,
      groupId,
      topics: [orders.name],
      from: { offset: 'earliest' },
      dryRun: true,
    });
    expect(dryRun).toMatchObject({ dryRun: true, totalRereads: 10 });
    expect((await transport.admin().groupOffsets(groupId, orders.name))[0]?.offset).toBe('10');
    const applied = await replayGroup({
      transport,
      groupId,
      topics: [orders.name],
      from: { offset: 'earliest' },
    });
    expect(applied.partitions[0]).toMatchObject({ committed: '10', target: '0', rereads: 10 });
    expect(results).toHaveLength(10);
    const again = consume(
      transport,
      orders,
      async (event) => {
        handled.push((event.data as { revision: number }).revision);
      },
      { groupId, dedup: false },
    );
    await again.start();
    await until(() => handled.length === 20, 'the replay');
  });

  it('refuses bad options, naming them', () => {
    const transport = createInMemoryBackbone({ autoCreateTopics: true });
    opened.push(transport);
    const orders = ordersTopic('x');
    expect(() =>
      createConsumer({ transport, groupId: '', topics: [orders], handle: async () => undefined }),
    ).toThrow(/groupId/);
    expect(() => createConsumer({ transport, groupId: 'g', topics: [orders] } as never)).toThrow(/handle/);
    expect(() =>
      createConsumer({
        transport,
        groupId: 'g',
        topics: [orders],
        handle: async () => undefined,
        maxConcurrency: 0,
      }),
    ).toThrow(/maxConcurrency/);
  });
});
