import { createInMemoryBackbone } from '@inlet/backbone';
import {
  defineEvent,
  defineTopic,
  InletError,
  InletErrorCode,
  jsonSchema,
  type KafkaTransport,
  type TopicEvent,
} from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySink } from './memory-sink';
import { createPipeline, type PipelineOptions } from './pipeline';
import type { Sink, SinkBatch } from './sink';
import { type SinkVisibleMessage, sinkChannels } from './sink-diagnostics';

const OrderChanged = defineEvent({
  type: 'order.changed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { orderId: { type: 'string' }, revision: { type: 'integer' }, total: { type: 'number' } },
    required: ['orderId', 'revision', 'total'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: () => new Date(),
  entityVersion: (order) => order.revision,
});

type Orders = ReturnType<typeof ordersTopic>;
function ordersTopic(name: string) {
  return defineTopic({ name, events: [OrderChanged], partitions: 3 });
}

let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

function setup() {
  const transport = createInMemoryBackbone({ defaultPartitions: 3, autoCreateTopics: true });
  opened.push(transport);
  return { transport, orders: ordersTopic(`pipeline-${++counter}`) };
}

async function produce(transport: KafkaTransport, orders: Orders, updates: readonly [string, number][]) {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  for (const [orderId, revision] of updates)
    await producer.send(orders, { type: 'order.changed', data: { orderId, revision, total: revision * 10 } });
  await producer.close();
}

function pipelineOf(
  transport: KafkaTransport,
  orders: Orders,
  extra: Partial<PipelineOptions<[Orders]>> & { sink: PipelineOptions<[Orders]>['sink'] },
) {
  const pipeline = createPipeline({
    transport,
    groupId: `pipeline-group-${++counter}`,
    topics: [orders],
    commitIntervalMs: 10,
    ...extra,
  } as PipelineOptions<[Orders]>);
  opened.push(pipeline);
  return pipeline;
}

describe('createPipeline', () => {
  it('lands each key at its newest version, with deletes, and commits only what the sink acknowledged', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, [
      ['o-1', 1],
      ['o-2', 1],
      ['o-1', 3],
      ['o-1', 2],
      ['o-3', 1],
    ]);
    // A tombstone for o-3 at version 2, as a compacted topic carries it.
    const key = Buffer.from('o-3');
    await transport
      .producer()
      .send([{ topic: orders.name, key, value: null, headers: { ce_entityversion: '2' } }]);
    const sink = createMemorySink<TopicEvent<Orders>>();
    const pipeline = pipelineOf(transport, orders, { sink });
    await pipeline.start();
    await pipeline.caughtUp();
    const state = new Map(
      [...sink.entities].map(([id, entity]) => [
        id,
        entity.deleted ? 'deleted' : entity.event?.data.revision,
      ]),
    );
    expect(state).toEqual(
      new Map<string, unknown>([
        ['o-1', 3],
        ['o-2', 1],
        ['o-3', 'deleted'],
      ]),
    );
    expect(pipeline.stats()).toMatchObject({ written: 6, rejected: 0, buffered: 0 });
    // The version gate of the sink, not of the consumer: o-1's revision 2 reached the sink and lost there.
    expect(pipeline.stats().stale).toBe(0);
  });

  it('gathers events into batches by count, and by time when fewer arrive', async () => {
    const sizes: number[] = [];
    const inner = createMemorySink();
    const sink: Sink<TopicEvent<Orders>> = {
      name: 'counting',
      write: (batch, context) => {
        sizes.push(batch.changes.length);
        return inner.write(batch as SinkBatch<never>, context);
      },
      close: () => inner.close(),
    };
    const single = defineTopic({ name: `pipeline-one-${++counter}`, events: [OrderChanged], partitions: 1 });
    const backbone = createInMemoryBackbone({ defaultPartitions: 1, autoCreateTopics: true });
    opened.push(backbone);
    await produce(
      backbone,
      single,
      Array.from({ length: 25 }, (_, index) => [`o-${index}`, 1] as [string, number]),
    );
    const pipeline = createPipeline({
      transport: backbone,
      groupId: `batches-${counter}`,
      topics: [single],
      sink,
      batching: { maxBatch: 10, lingerMs: 50 },
    });
    opened.push(pipeline);
    await pipeline.start();
    await pipeline.caughtUp();
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('lets the next batch grow while a write is in flight, and writes an idle partition at once', async () => {
    const single = defineTopic({ name: `pipeline-grow-${++counter}`, events: [OrderChanged], partitions: 1 });
    const backbone = createInMemoryBackbone({ defaultPartitions: 1, autoCreateTopics: true });
    opened.push(backbone);
    const sizes: number[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const inner = createMemorySink<TopicEvent<typeof single>>();
    const sink: Sink<TopicEvent<typeof single>> = {
      name: 'held',
      async write(batch, context) {
        sizes.push(batch.changes.length);
        if (sizes.length === 1) await firstHeld;
        return inner.write(batch, context);
      },
      close: () => inner.close(),
    };
    const pipeline = createPipeline({
      transport: backbone,
      groupId: `grow-${counter}`,
      topics: [single],
      sink,
      batching: { lingerMs: 0 },
      commitIntervalMs: 10,
    });
    opened.push(pipeline);
    await pipeline.start();
    await pipeline.caughtUp();
    await produce(backbone, single, [['o-first', 1]]);
    const started = Date.now();
    while (sizes.length === 0 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 5));
    // Each of these is its own fetch, handed over while the first write is held.
    for (let index = 0; index < 5; index += 1) {
      await produce(backbone, single, [[`o-${index}`, 1]]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(sizes).toEqual([1]);
    releaseFirst();
    await pipeline.caughtUp();
    expect(sizes).toEqual([1, 5]);
    expect(inner.entities.size).toBe(6);
  });

  it('dead-letters the changes the sink refuses, with the reason, and lands the rest', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, [
      ['o-1', 1],
      ['o-bad', 1],
      ['o-2', 1],
    ]);
    const sink = createMemorySink<TopicEvent<Orders>>({
      refuse: (change) =>
        change.kind === 'upsert' && change.key === 'o-bad'
          ? new Error('violates check "known order"')
          : undefined,
    });
    const pipeline = pipelineOf(transport, orders, { sink });
    await pipeline.start();
    await pipeline.caughtUp();
    expect([...sink.entities.keys()].sort()).toEqual(['o-1', 'o-2']);
    expect(pipeline.stats()).toMatchObject({ written: 2, rejected: 1, deadLettered: 1, handled: 2 });
    const letters = await transport.admin().topicOffsets(`${orders.name}.dlq`);
    expect(letters.reduce((sum, { high }) => sum + Number(high), 0)).toBe(1);
  });

  it('retries a write that fails as a whole, and stops when it keeps failing, committing nothing of it', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, [['o-1', 1]]);
    let attempts = 0;
    const flaky: Sink<never> = {
      name: 'flaky',
      async write() {
        attempts += 1;
        if (attempts < 3)
          throw new InletError(InletErrorCode.timeout, 'target timed out', { retryable: true });
      },
      async close() {},
    };
    const recovering = pipelineOf(transport, orders, {
      sink: flaky,
      sinkRetry: { minDelayMs: 1, maxDelayMs: 2 },
    });
    await recovering.start();
    await recovering.caughtUp();
    expect(recovering.stats()).toMatchObject({ written: 1, writeRetries: 2 });

    const broken: Sink<never> = {
      name: 'broken',
      async write() {
        throw new InletError(InletErrorCode.invalidOption, 'table "orders" does not exist', {
          retryable: false,
        });
      },
      async close() {},
    };
    const groupId = `broken-${++counter}`;
    const failing = pipelineOf(transport, orders, { sink: broken, groupId });
    await failing.start();
    const failure = await failing.stopped();
    expect(failure?.message).toMatch(/table "orders" does not exist/);
    const [committed] = await transport.admin().groupOffsets(groupId, orders.name);
    expect(['-1', '0']).toContain(committed?.offset ?? '-1');
  });

  it('resumes from the offsets a sink keeps itself', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, [
      ['o-1', 1],
      ['o-2', 1],
      ['o-3', 1],
    ]);
    const sink = createMemorySink<TopicEvent<Orders>>();
    const groupId = `resume-${++counter}`;
    const first = pipelineOf(transport, orders, { sink: { ...sink, close: async () => undefined }, groupId });
    await first.start();
    await first.caughtUp();
    await first.close();
    const applied = sink.applied;
    // The group's own offsets go back to the start: the sink's say where it was.
    const partitions = await transport.admin().topicOffsets(orders.name);
    await transport.admin().setGroupOffsets(
      groupId,
      partitions.map(({ partition }) => ({ topic: orders.name, partition, offset: '0' })),
    );
    await produce(transport, orders, [['o-4', 1]]);
    const second = pipelineOf(transport, orders, { sink, groupId });
    await second.start();
    await second.caughtUp();
    expect(sink.applied).toBe(applied + 1);
  });

  it('says when each batch became visible in the sink, with the events’ times', async () => {
    const { transport, orders } = setup();
    const messages: SinkVisibleMessage[] = [];
    const listener = (message: unknown) => void messages.push(message as SinkVisibleMessage);
    sinkChannels.visible.subscribe(listener);
    try {
      await produce(transport, orders, [
        ['o-1', 1],
        ['o-2', 1],
      ]);
      const pipeline = pipelineOf(transport, orders, { sink: createMemorySink() });
      await pipeline.start();
      await pipeline.caughtUp();
      const events = messages.flatMap((message) => message.events);
      expect(events).toHaveLength(2);
      for (const message of messages)
        expect(message.visibleAt).toBeGreaterThanOrEqual(
          Math.max(...message.events.map((event) => event.eventTime)),
        );
    } finally {
      sinkChannels.visible.unsubscribe(listener);
    }
  });

  it('refuses bad options when it is made', () => {
    const { transport, orders } = setup();
    expect(() => createPipeline({ transport, groupId: 'g', topics: [orders], sink: {} as never })).toThrow(
      /sink/,
    );
    expect(() =>
      createPipeline({
        transport,
        groupId: 'g',
        topics: [orders],
        sink: createMemorySink(),
        batching: { maxBacth: 3 } as never,
      }),
    ).toThrow(/did you mean batching.maxBatch/);
  });
});
