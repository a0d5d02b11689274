import { createInMemoryBackbone, type InMemoryBackbone } from '@inlet/backbone';
import {
  InletError,
  InletErrorCode,
  type KafkaTransport,
  partitionForKey,
  type TransportAdmin,
} from '@inlet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { changelogTopicName, claimPartition } from './changelog';
import { crashableTransport } from './crashable-transport.test-support';
import { createWindowing, type Windowing } from './windowing';
import { produceSales, type SaleRecord, type SalesTopic, salesTopic } from './windowing.test-support';
import {
  type countAndSum,
  type FaultPipeline,
  inThirds,
  minute,
  readResultTopic,
  salesStream,
  sessionCount,
  tumblingCountAndSum,
  until,
} from './windowing-faults.test-support';

// The promise of the changelog on the in-memory backbone: an instance that crashes (its
// transport stops answering mid-stride, see crashable-transport.test-support.ts) and is started
// again, and instances that join and leave a group mid-stream, give the results a single
// instance gives, and the batch computation.

const outOfOrdernessMs = 15_000;
let counter = 0;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const backbone = createInMemoryBackbone({
    defaultPartitions: 3,
    autoCreateTopics: true,
    minSessionTimeoutMs: 100,
  });
  cleanups.push(() => backbone.close());
  const id = ++counter;
  const topic = salesTopic(`fault-sales-${id}`);
  await backbone.admin().createTopics([{ topic: topic.name, partitions: 3 }]);
  return { backbone, topic, id };
}

function instance(
  transport: KafkaTransport,
  pipeline: FaultPipeline,
  topic: SalesTopic,
  groupId: string,
  output: string,
  transactional = false,
): Windowing<unknown> {
  const windowing = createWindowing({
    transport,
    groupId,
    topics: [topic],
    window: pipeline.window,
    aggregation: pipeline.aggregation as typeof countAndSum,
    outOfOrdernessMs,
    output: { topic: output, transactional },
    // Checkpoints often, so that crashes land between them (the default is every 5 s).
    checkpointIntervalMs: 20,
    // A crashed member is removed once silent this long inside a batch.
    sessionTimeoutMs: 300,
    heartbeatIntervalMs: 100,
    maxBytesPerPartition: 16_384,
    // The backbone takes a member for alive unless it is stuck in a batch: with little fetched
    // ahead, a crashed instance mid-stream has records left to be handed, and is soon stuck.
    maxInFlightEvents: 200,
  }) as Windowing<unknown>;
  cleanups.push(() => windowing.close().catch(() => undefined));
  return windowing;
}

/** `caughtUp` of an instance the scenario closed: there is nothing to wait for. */
function closedAlready(error: unknown): void {
  if (!(InletError.is(error) && error.code === InletErrorCode.closed)) throw error;
}

async function groupAssignment(backbone: InMemoryBackbone, groupId: string): Promise<string> {
  const group = await backbone.admin().describeGroup(groupId);
  return group.members
    .map((member) => member.assignment.length)
    .sort()
    .join();
}

/** `inner`, and a switch that makes its next restore wait before it reads the changelog's offsets. */
function slowRestores(inner: KafkaTransport) {
  let delayMs = 0;
  const transport: KafkaTransport = {
    kind: inner.kind,
    producer: (options) => inner.producer(options),
    consumer: (options) => inner.consumer(options),
    admin: () => {
      const admin = inner.admin();
      return Object.assign(Object.create(admin) as TransportAdmin, {
        topicOffsets: async (topic: string) => {
          if (topic.endsWith('-changelog') && delayMs > 0) {
            const wait = delayMs;
            delayMs = 0;
            await new Promise((resolve) => setTimeout(resolve, wait));
          }
          return admin.topicOffsets(topic);
        },
      });
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return {
    transport,
    slowDownNext: (ms: number) => {
      delayMs = ms;
    },
  };
}

describe('windowing through faults on the in-memory backbone', () => {
  it('a rebalance while it restores: what the earlier assignment restored does not linger', async () => {
    const { backbone, topic, id } = await setup();
    const stream = salesStream({ count: 3_000, stores: 12, spanMs: 30 * minute, disorderMs: 10_000 });
    const parts = inThirds(stream);
    const groupId = `fault-overlap-${id}`;
    const output = `fault-results-${id}`;
    const slow = slowRestores(backbone);
    const staying = instance(slow.transport, tumblingCountAndSum, topic, groupId, output);
    await staying.start();
    await produceSales(backbone, topic, parts[0]);
    await staying.caughtUp({ timeoutMs: 10_000 });
    const leaving = instance(backbone, tumblingCountAndSum, topic, groupId, output);
    await leaving.start();
    await until(async () => (await groupAssignment(backbone, groupId)) === '1,2', 'two members', 10_000);
    await produceSales(backbone, topic, parts[1]);
    await leaving.caughtUp({ timeoutMs: 10_000 });
    // The staying instance takes the leaving one's partition back, and restores it slowly: a third
    // instance joins meanwhile, and the group moves on to an assignment without that one.
    slow.slowDownNext(500);
    await leaving.close();
    const joining = instance(backbone, tumblingCountAndSum, topic, groupId, output);
    await joining.start();
    await until(
      async () => (await groupAssignment(backbone, groupId)) === '1,2',
      'two members again',
      10_000,
    );
    await produceSales(backbone, topic, parts[2]);
    await Promise.all([staying.caughtUp({ timeoutMs: 10_000 }), joining.caughtUp({ timeoutMs: 10_000 })]);
    expect(staying.stats().partitions + joining.stats().partitions).toBe(3);
    await staying.close();
    await joining.close();
    const results = await readResultTopic(backbone, output);
    expect(results.windows).toEqual(tumblingCountAndSum.batch(stream));
  }, 30_000);

  // A plain result topic is at least once: a result sent after the last checkpoint is sent again by
  // the next owner (the same window and revision, with the same value). In the checkpoint's
  // transaction it is exactly once.
  it.each([
    { output: 'a plain result topic', transactional: false },
    { output: 'results in the checkpoint transaction', transactional: true },
  ])(
    'crashed twice mid-stream and started again, $output: the result topic equals the batch computation',
    async ({ transactional }) => {
      const { backbone, topic, id } = await setup();
      const stream = salesStream({ count: 4_000, stores: 12, spanMs: 30 * minute, disorderMs: 10_000 });
      const groupId = `fault-crash-${id}`;
      const output = `fault-results-${id}`;
      // The input arrives in parts, the next one after each crash: the crashed member is handed
      // a batch it never finishes, which is how the backbone sees that its session lapsed.
      const total = stream.sales.length;
      const half = Math.floor(total / 2);
      const threeQuarters = Math.floor((total * 3) / 4);
      const parts = [
        stream.sales.slice(0, half),
        stream.sales.slice(half, threeQuarters),
        [...stream.sales.slice(threeQuarters), ...stream.closing],
      ];
      // Where each instance crashes, in the events handed to it (the second one starts again at
      // the first one's last checkpoint, before 40 %): always short of what was produced.
      const crashPoints = [0.2 + Math.random() * 0.2, 0.2 + Math.random() * 0.1];
      await produceSales(backbone, topic, parts[0] ?? []);
      const restored: { partitions: number; records: number }[] = [];
      for (const [index, crash] of (['at once', 'at a commit'] as const).entries()) {
        const crashable = crashableTransport(backbone, { batchDelayMs: 5 });
        const crashing = instance(
          crashable.transport,
          tumblingCountAndSum,
          topic,
          groupId,
          output,
          transactional,
        );
        // Cleanups run in reverse: released first, so that closing it and the backbone can finish.
        cleanups.push(async () => crashable.release());
        // Once it checkpointed a few times.
        crashable.crashAfterEvents(
          Math.floor(total * (crashPoints[index] ?? 0)),
          crash,
          () => crashing.stats().checkpoints >= 2,
        );
        await crashing.start();
        await until(() => crashable.crashed(), 'the instance to crash', 10_000);
        await produceSales(backbone, topic, parts[index + 1] ?? []);
        // As on a broker, the next instance finds the group once the crashed member's session lapsed.
        await until(
          async () => (await backbone.admin().describeGroup(groupId)).members.length === 0,
          'the crashed member to be removed from the group',
          10_000,
        );
        restored.push(crashing.stats().restored);
        // A crash at a commit leaves that checkpoint's transaction open, for the next owner to fence.
        if (crash === 'at a commit') expect(crashable.openTransactions()).toBeGreaterThan(0);
      }
      const last = instance(backbone, tumblingCountAndSum, topic, groupId, output, transactional);
      await last.start();
      await last.caughtUp({ timeoutMs: 20_000 });
      restored.push(last.stats().restored);
      // The last crash was mid-stream: what came after it was left to this one.
      expect(last.stats().consumer.handled).toBeGreaterThan(0);
      expect(last.stats().late.dropped).toBe(0);
      await last.close();
      // The crashed instance's state was found by the next one, each time: besides one barrier per
      // claim and partition, the checkpoints and the window keys.
      for (const [index, { partitions, records }] of restored.entries()) {
        expect(partitions).toBe(3);
        if (index > 0) expect(records).toBeGreaterThan(3 * (index + 1) + 3);
      }
      const results = await readResultTopic(backbone, output);
      expect(results.conflicts).toEqual([]);
      expect(results.windows).toEqual(tumblingCountAndSum.batch(stream));
      if (transactional) expect(results.copies).toBe(0);
      expect(results.records).toBe(results.windows.size + results.copies);
    },
    30_000,
  );

  async function scaleTest(
    pipeline: FaultPipeline,
    scenario: (context: {
      readonly backbone: InMemoryBackbone;
      readonly topic: SalesTopic;
      readonly parts: ReturnType<typeof inThirds>;
      readonly make: () => Windowing<unknown>;
      readonly groupId: string;
    }) => Promise<void>,
  ): Promise<void> {
    const { backbone, topic, id } = await setup();
    const stream = salesStream({ count: 4_000, stores: 12, spanMs: 30 * minute, disorderMs: 10_000 });
    const groupId = `fault-group-${id}`;
    const output = `fault-results-${id}`;
    const referenceGroup = `fault-single-${id}`;
    const referenceOutput = `fault-single-results-${id}`;
    const made: Windowing<unknown>[] = [];
    const reference = instance(backbone, pipeline, topic, referenceGroup, referenceOutput);
    made.push(reference);
    await reference.start();
    const make = () => {
      const windowing = instance(backbone, pipeline, topic, groupId, output);
      made.push(windowing);
      return windowing;
    };
    await scenario({ backbone, topic, parts: inThirds(stream), make, groupId });
    // Every instance still running caught up with the whole input.
    await Promise.all(
      made.map((windowing) => windowing.caughtUp({ timeoutMs: 20_000 }).catch(closedAlready)),
    );
    for (const windowing of made) {
      expect(windowing.stats().late.dropped).toBe(0);
      await windowing.close();
    }
    const [scaled, single] = await Promise.all([
      readResultTopic(backbone, output),
      readResultTopic(backbone, referenceOutput),
    ]);
    expect(scaled.conflicts).toEqual([]);
    expect(scaled.windows).toEqual(pipeline.batch(stream));
    expect(scaled.windows).toEqual(single.windows);
    expect(scaled.copies).toBe(0);
    expect(single.copies).toBe(0);
  }

  it.each([false, true])(
    'another instance claims a partition this one owns (an assignment kafkajs reported late): it takes the partition back and rewrites its state; nothing lost, nothing dead-lettered (transactional %s)',
    async (transactional) => {
      const { backbone, topic, id } = await setup();
      const stream = salesStream({ count: 4_000, stores: 12, spanMs: 30 * minute, disorderMs: 10_000 });
      const [before, after, last] = inThirds(stream);
      const partitionOf = (store: string) => partitionForKey(Buffer.from(store, 'utf8'), 3);
      const contested = [...new Set(before.map((sale) => sale.store))].filter(
        (store) => partitionOf(store) === 1,
      );
      expect(contested.length).toBeGreaterThan(1);
      const groupId = `fault-zombie-${id}`;
      const output = `fault-zombie-results-${id}`;
      const first = instance(backbone, tumblingCountAndSum, topic, groupId, output, transactional);
      await first.start();
      await produceSales(backbone, topic, before);
      await first.caughtUp({ timeoutMs: 10_000 });
      // What a member acting on a stale assignment does: it takes the partition's transactional
      // id (fencing the owner) and writes state of its own, here state that is wrong on purpose:
      // the partition's keys without windows, and a key the owner never saw.
      const changelog = changelogTopicName(groupId, topic.name);
      const stale = backbone.producer({ transactionalId: `${groupId}-${topic.name}-1` });
      await claimPartition(stale, changelog, 1);
      const ghostStart = Math.floor((after[0] as SaleRecord).at / minute) * minute;
      const state = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
      await stale.send([
        ...contested.map((store) => ({
          topic: changelog,
          partition: 1,
          key: Buffer.from(`k${store}`),
          value: state({ w: [] }),
        })),
        {
          topic: changelog,
          partition: 1,
          key: Buffer.from('kghost'),
          value: state({ w: [[ghostStart, ghostStart + minute, { count: 5, sum: 50 }, 5, 1, 0]] }),
        },
      ]);
      await stale.close();
      // One event of one contested key: its checkpoint finds the partition taken.
      const trigger = after.find((sale) => sale.store === contested[0]) as SaleRecord;
      const rest = after.filter((sale) => sale !== trigger);
      await produceSales(backbone, topic, [trigger]);
      await first.caughtUp({ timeoutMs: 10_000 });
      expect(first.stats().reclaimed).toBe(1);
      expect(first.stats().consumer.deadLettered).toBe(0);
      await first.close();
      // The next owner restores what it wrote after taking the partition back: its whole state.
      const next = instance(backbone, tumblingCountAndSum, topic, groupId, output, transactional);
      await next.start();
      await produceSales(backbone, topic, [...rest, ...last]);
      await next.caughtUp({ timeoutMs: 10_000 });
      expect(next.stats().consumer.deadLettered).toBe(0);
      expect(next.stats().late.dropped).toBe(0);
      await next.close();
      const results = await readResultTopic(backbone, output);
      expect(results.conflicts).toEqual([]);
      expect(results.windows).toEqual(tumblingCountAndSum.batch(stream));
    },
    30_000,
  );

  it('scales out 1 → 3 mid-stream: partitions move with their state; results equal a single instance and the batch', async () => {
    await scaleTest(tumblingCountAndSum, async ({ backbone, topic, parts, make, groupId }) => {
      const first = make();
      await first.start();
      await produceSales(backbone, topic, parts[0]);
      await first.caughtUp({ timeoutMs: 10_000 });
      const joiners = [make(), make()];
      await Promise.all([
        produceSales(backbone, topic, parts[1]),
        ...joiners.map((joiner) => joiner.start()),
      ]);
      await until(
        async () => (await groupAssignment(backbone, groupId)) === '1,1,1',
        'three members with a partition each',
        10_000,
      );
      await until(
        () => joiners.every((joiner) => joiner.stats().restored.partitions >= 1),
        'the joiners to restore their partitions',
        10_000,
      );
      for (const joiner of joiners) expect(joiner.stats().restored.records).toBeGreaterThan(2);
      await produceSales(backbone, topic, parts[2]);
    });
  }, 30_000);

  it('scales in 3 → 1 mid-stream (session windows): the last instance takes over the state; results equal a single instance and the batch', async () => {
    await scaleTest(sessionCount, async ({ backbone, topic, parts, make, groupId }) => {
      const [staying, ...leaving] = [make(), make(), make()] as const;
      await Promise.all([staying, ...leaving].map((member) => member.start()));
      await until(
        async () => (await groupAssignment(backbone, groupId)) === '1,1,1',
        'three members with a partition each',
        10_000,
      );
      await produceSales(backbone, topic, parts[0]);
      await Promise.all([staying, ...leaving].map((member) => member.caughtUp({ timeoutMs: 10_000 })));
      const restoredBefore = staying.stats().restored.partitions;
      const producing = produceSales(backbone, topic, parts[1]);
      await Promise.all(leaving.map((member) => member.close()));
      await producing;
      await until(
        () => staying.stats().partitions === 3,
        'the staying instance to own every partition',
        10_000,
      );
      expect(staying.stats().restored.partitions - restoredBefore).toBeGreaterThanOrEqual(2);
      await produceSales(backbone, topic, parts[2]);
    });
  }, 30_000);
});
