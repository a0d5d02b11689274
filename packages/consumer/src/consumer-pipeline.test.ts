import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createInMemoryBackbone } from '@inlet/backbone';
import { defineEvent, defineTopic, InletErrorCode, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { consumerChannels, type RebalanceMessage, type StallMessage } from './consumer-diagnostics';
import type { ConsumerOptions, HandlerContext } from './consumer-options';
import { ordersTopic, updated } from './fixtures/orders.fixture';
import { createMemoryVersionStore } from './stores/memory-stores';
import { isTombstone } from './tombstone';

// What the consumer opens to sinks, windowing and CDC: commit holds, waiting until caught up,
// the record's timestamp and lag in the context, decoders of its own, and stall and rebalance
// reports.

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
  return { transport, orders: ordersTopic(`pipeline-${++counter}`) };
}

async function produce(transport: KafkaTransport, orders: Orders, count: number) {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  for (let index = 0; index < count; index += 1)
    await producer.send(orders, updated(`o-${index % 5}`, index));
  await producer.close();
}

function consumerOf(transport: KafkaTransport, orders: Orders, extra: Partial<ConsumerOptions<[Orders]>>) {
  const groupId = `group-${++counter}`;
  const consumer = createConsumer({
    transport,
    groupId,
    topics: [orders],
    commitIntervalMs: 10,
    ...('handleBatch' in extra ? {} : { handle: async () => undefined }),
    ...extra,
  } as ConsumerOptions<[Orders]>);
  opened.push(consumer);
  return { consumer, groupId };
}

async function committed(transport: KafkaTransport, groupId: string, topic: string): Promise<string> {
  return (await transport.admin().groupOffsets(groupId, topic))[0]?.offset ?? 'none';
}

describe('commit participation', () => {
  it('commits an offset only once the hold on it is released', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 5);
    const releases: (() => void)[] = [];
    const { consumer, groupId } = consumerOf(transport, orders, {
      maxConcurrency: 1,
      handle: async (_event, context) => {
        releases.push(context.holdCommit());
      },
    });
    await consumer.start();
    await until(() => consumer.stats().handled === 5, 'five handled');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nothing past the held offset 0 is committed.
    expect(['-1', '0']).toContain(await committed(transport, groupId, orders.name));
    releases[1]?.();
    releases[0]?.();
    await until(
      async () => (await committed(transport, groupId, orders.name)) === '2',
      'the first two committed',
    );
    for (const release of releases) release();
    await until(async () => (await committed(transport, groupId, orders.name)) === '5', 'all committed');
  });

  it('holds a whole batch with one hold in handleBatch', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 4);
    let release: (() => void) | undefined;
    const { consumer, groupId } = consumerOf(transport, orders, {
      handleBatch: async (_events, context) => {
        release = context.holdCommit();
      },
    });
    await consumer.start();
    await until(() => consumer.stats().handled === 4, 'four handled');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(['-1', '0']).toContain(await committed(transport, groupId, orders.name));
    release?.();
    await until(
      async () => (await committed(transport, groupId, orders.name)) === '4',
      'the batch committed',
    );
  });
});

describe('a commit hold', () => {
  // A windowing instance holds each batch's commit until its checkpoint, seconds later: the hold
  // must keep the offsets, not the events and records (at 50 000 events/s, gigabytes).
  it('does not keep the events it holds the commit of alive', async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const { transport, orders } = setup();
    await produce(transport, orders, 20);
    const releases: (() => void)[] = [];
    const delivered: WeakRef<object>[] = [];
    const { consumer, groupId } = consumerOf(transport, orders, {
      handleBatch: async (events, context) => {
        for (const event of events) delivered.push(new WeakRef(event));
        releases.push(context.holdCommit());
      },
    });
    await consumer.start();
    await until(() => consumer.stats().handled === 20, 'twenty handled');
    for (let round = 0; round < 5 && delivered.some((event) => event.deref() !== undefined); round++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      collectGarbage();
    }
    expect(delivered.filter((event) => event.deref() !== undefined)).toHaveLength(0);
    // Held all the same: nothing committed until the release.
    expect(['-1', '0']).toContain(await committed(transport, groupId, orders.name));
    for (const release of releases) release();
    await until(async () => (await committed(transport, groupId, orders.name)) === '20', 'all committed');
  });
});

describe('caughtUp()', () => {
  it('resolves once everything in the partitions at the call is done, holds released', async () => {
    const { transport, orders } = setup(3);
    await produce(transport, orders, 30);
    const releases: (() => void)[] = [];
    const { consumer } = consumerOf(transport, orders, {
      handle: async (_event, context) => {
        releases.push(context.holdCommit());
      },
    });
    await consumer.start();
    let caught = false;
    const waiting = consumer.caughtUp().then(() => {
      caught = true;
    });
    await until(() => consumer.stats().handled === 30, 'all handled');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(caught).toBe(false);
    for (const release of releases) release();
    await waiting;
    expect(caught).toBe(true);
  });

  it('resolves at once for a group that has nothing left to read', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 3);
    const { consumer, groupId } = consumerOf(transport, orders, {});
    await consumer.start();
    await consumer.caughtUp();
    expect(consumer.stats().handled).toBe(3);
    await consumer.close();
    // The same group again: everything is committed, nothing will be fetched.
    const again = consumerOf(transport, orders, { groupId });
    await again.consumer.start();
    await again.consumer.caughtUp({ timeoutMs: 5_000 });
    expect(again.consumer.stats().handled).toBe(0);
  });

  it('gives up with a typed error after its timeout, and when the consumer stops', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 1);
    const { consumer } = consumerOf(transport, orders, {
      drainTimeoutMs: 10,
      handle: (_event, { signal }) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
    });
    await consumer.start();
    await expect(consumer.caughtUp({ timeoutMs: 100 })).rejects.toMatchObject({
      code: InletErrorCode.timeout,
    });
    const waiting = consumer.caughtUp().catch((error: unknown) => error);
    await consumer.close();
    expect(await waiting).toMatchObject({ code: InletErrorCode.closed });
  });
});

describe('the handler context', () => {
  it('carries the record timestamp, the high watermark and the lag', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 3);
    const contexts: HandlerContext[] = [];
    const { consumer } = consumerOf(transport, orders, {
      maxConcurrency: 1,
      handle: async (event, context) => {
        contexts.push(context as HandlerContext);
        expect(context.timestamp).toBe(event.eventTime.getTime());
      },
    });
    await consumer.start();
    await until(() => contexts.length === 3, 'three events');
    expect(contexts.map(({ highWatermark, lag }) => [highWatermark, lag])).toEqual([
      ['3', 2],
      ['3', 1],
      ['3', 0],
    ]);
  });
});

describe('a decoder of the application', () => {
  const Reading = defineEvent({
    type: 'sensor.reading',
    version: 1,
    schema: jsonSchema({
      type: 'object',
      properties: { sensor: { type: 'string' }, celsius: { type: 'number' }, at: { type: 'string' } },
      required: ['sensor', 'celsius', 'at'],
      additionalProperties: false,
    }),
    key: (reading) => reading.sensor,
    eventTime: (reading) => reading.at,
  });

  it('turns plain JSON records into typed events, and dead-letters what it cannot', async () => {
    const transport = createInMemoryBackbone({ autoCreateTopics: true });
    opened.push(transport);
    const readings = defineTopic({ name: `readings-${++counter}`, events: [Reading] });
    const at = new Date().toISOString();
    const plain = (value: string) => ({
      topic: readings.name,
      key: Buffer.from('s-1'),
      value: Buffer.from(value),
    });
    await transport
      .producer()
      .send([
        plain(JSON.stringify({ sensor: 's-1', celsius: 21.5, at })),
        plain('not json'),
        plain(JSON.stringify({ sensor: 's-1', celsius: 'warm', at })),
        plain(JSON.stringify({ sensor: 's-1', celsius: 22, at })),
      ]);
    const seen: { id: string; key: unknown; celsius: number; eventTime: number }[] = [];
    const consumer = createConsumer({
      transport,
      groupId: `readers-${counter}`,
      topics: [readings],
      decoder: (record) => ({ type: 'sensor.reading', data: JSON.parse(record.value?.toString() ?? '') }),
      handle: async (event) => {
        seen.push({
          id: event.id,
          key: event.key,
          celsius: event.data.celsius,
          eventTime: event.eventTime.getTime(),
        });
      },
    });
    opened.push(consumer);
    await consumer.start();
    await consumer.caughtUp();
    expect(seen).toEqual([
      { id: `${readings.name}/0@0`, key: 's-1', celsius: 21.5, eventTime: Date.parse(at) },
      { id: `${readings.name}/0@3`, key: 's-1', celsius: 22, eventTime: Date.parse(at) },
    ]);
    expect(consumer.stats()).toMatchObject({ handled: 2, deadLettered: 2 });
  });
});

describe('reports', () => {
  it('reports a stalled partition and its recovery, through the channel and the logger', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 1);
    const messages: StallMessage[] = [];
    const listener = (message: unknown) => void messages.push(message as StallMessage);
    consumerChannels.stall.subscribe(listener);
    const warnings: string[] = [];
    let finish: () => void = () => undefined;
    try {
      const { consumer } = consumerOf(transport, orders, {
        stallThresholdMs: 100,
        logger: {
          debug: () => undefined,
          info: () => undefined,
          error: () => undefined,
          warn: (message) => void warnings.push(message),
        },
        handle: () =>
          new Promise<void>((resolve) => {
            finish = resolve;
          }),
      });
      await consumer.start();
      await until(() => messages.length === 1, 'the stall report');
      expect(messages[0]).toMatchObject({ state: 'stalled', offset: '0', pending: 1 });
      expect(messages[0]?.cause).toMatch(/being handled/);
      expect(warnings).toContain('partition stalled');
      finish();
      await until(() => messages.length === 2, 'the recovery');
      expect(messages[1]).toMatchObject({ state: 'progressing' });
    } finally {
      consumerChannels.stall.unsubscribe(listener);
    }
  });

  it('publishes each rebalance with what was assigned and revoked', async () => {
    const { transport, orders } = setup(2);
    const messages: RebalanceMessage[] = [];
    const listener = (message: unknown) => void messages.push(message as RebalanceMessage);
    consumerChannels.rebalance.subscribe(listener);
    try {
      await produce(transport, orders, 2);
      const { consumer } = consumerOf(transport, orders, {});
      await consumer.start();
      await until(() => messages.length >= 1, 'the first assignment');
      expect(messages[0]?.assigned).toHaveLength(2);
      expect(messages[0]?.revoked).toEqual([]);
    } finally {
      consumerChannels.rebalance.unsubscribe(listener);
    }
  });
});

describe('caughtUp() in a process with nothing else to wait on', () => {
  it('keeps the process alive until it resolves', async () => {
    const { execFile } = await import('node:child_process');
    const script = new URL('./fixtures/caught-up-child.fixture.ts', import.meta.url).pathname;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--conditions=@inlet/source', script],
        { timeout: 30_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(output.trim()).toBe('CAUGHT UP 50');
  }, 40_000);
});

describe('tombstones', () => {
  async function sendTombstone(
    transport: KafkaTransport,
    orders: Orders,
    key: string,
    headers: Record<string, string>,
  ) {
    await transport.producer().send([{ topic: orders.name, key: Buffer.from(key), value: null, headers }]);
  }

  it('are dead-lettered by default', async () => {
    const { transport, orders } = setup();
    await sendTombstone(transport, orders, 'o-1', {});
    const { consumer } = consumerOf(transport, orders, {});
    await consumer.start();
    await consumer.caughtUp();
    expect(consumer.stats()).toMatchObject({ handled: 0, deadLettered: 1 });
  });

  it('are delivered as deletes when asked, through dedup and the version gate', async () => {
    const { transport, orders } = setup();
    const producer = createProducer({ transport, linger: { ms: 0 } });
    await producer.send(orders, updated('o-1', 1));
    await producer.close();
    await sendTombstone(transport, orders, 'o-1', {
      ce_id: 'delete-1',
      ce_entityversion: '2',
      ce_type: 'order.updated',
    });
    await sendTombstone(transport, orders, 'o-1', { ce_id: 'delete-1', ce_entityversion: '2' });
    const late = createProducer({ transport, linger: { ms: 0 } });
    await late.send(orders, updated('o-1', 2));
    await late.send(orders, updated('o-1', 3));
    await late.close();
    await sendTombstone(transport, orders, 'o-2', {});
    const seen: string[] = [];
    const consumer = createConsumer({
      transport,
      groupId: `tombstones-${++counter}`,
      topics: [orders],
      tombstones: 'deliver',
      versionGate: { store: createMemoryVersionStore() },
      handle: async (event) => {
        if (isTombstone(event))
          seen.push(`delete ${String(event.key)} v${event.entityVersion ?? '-'} ${event.type ?? ''}`.trim());
        else seen.push(`update ${String(event.key)} r${(event.data as { revision: number }).revision}`);
      },
    });
    opened.push(consumer);
    await consumer.start();
    await consumer.caughtUp();
    expect(seen.filter((line) => line.includes('o-1'))).toEqual([
      'update o-1 r1',
      'delete o-1 v2 order.updated',
      'update o-1 r3',
    ]);
    expect(seen.filter((line) => line.includes('o-2'))).toEqual(['delete o-2 v-']);
    expect(consumer.stats()).toMatchObject({ handled: 4, duplicates: 1, stale: 1 });
  });
});

describe('a dead letter after the handler', () => {
  it('is written for an event the handler already returned, and it counts as dead-lettered', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 3);
    const later: { release: () => void; deadLetter: (error: unknown) => Promise<void> }[] = [];
    const { consumer, groupId } = consumerOf(transport, orders, {
      maxConcurrency: 1,
      handle: async (_event, context) => {
        later.push({ release: context.holdCommit(), deadLetter: (error) => context.deadLetter(error) });
      },
    });
    await consumer.start();
    await until(() => later.length === 3, 'three handled');
    await later[1]?.deadLetter(new Error('the target refused the row: check constraint "positive_total"'));
    for (const { release } of later) release();
    await until(async () => (await committed(transport, groupId, orders.name)) === '3', 'all committed');
    expect(consumer.stats()).toMatchObject({ handled: 2, deadLettered: 1 });
    const letters = await transport.admin().topicOffsets(`${orders.name}.dlq`);
    expect(letters.reduce((sum, { high }) => sum + Number(high), 0)).toBe(1);
  });
});

describe('fail()', () => {
  it('stops the consumer with the error given, committing what is done', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, 2);
    const { consumer, groupId } = consumerOf(transport, orders, {});
    await consumer.start();
    await consumer.caughtUp();
    await consumer.fail(new Error('the sink’s table is gone'));
    const failure = await consumer.stopped();
    expect(failure?.message).toMatch(/the sink’s table is gone/);
    expect(consumer.stats().state).toBe('failed');
    expect(await committed(transport, groupId, orders.name)).toBe('2');
  });
});
