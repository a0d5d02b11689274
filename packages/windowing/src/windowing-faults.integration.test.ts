import { fileURLToPath } from 'node:url';
import { InletError, InletErrorCode, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWindowing, type Windowing } from './windowing';
import { produceSales, type SalesTopic, salesTopic } from './windowing.test-support';
import { killLoop } from './windowing-child.test-support';
import {
  type countAndSum,
  type FaultPipeline,
  inThirds,
  minute,
  readResultTopicWithKcat,
  salesStream,
  sessionCount,
  tumblingCountAndSum,
  until,
} from './windowing-faults.test-support';

// The promise of the changelog on a real broker: results after a crash equal results without
// one; instances of one group share the partitions, their state follows the partitions, and
// their results equal a single instance's.

const environment = testEnvironment();
const childScript = fileURLToPath(new URL('./fixtures/windowing-child.fixture.ts', import.meta.url));
const outOfOrdernessMs = 15_000;
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'windowing-faults' });
});
afterAll(() => transport.close());

/** `caughtUp` of an instance the scenario closed: there is nothing to wait for. */
function closedAlready(error: unknown): void {
  if (!(InletError.is(error) && error.code === InletErrorCode.closed)) throw error;
}

async function inputTopic(): Promise<SalesTopic> {
  const topic = salesTopic(uniqueName('win-fault-sales'));
  await transport.admin().createTopics([{ topic: topic.name, partitions: 3 }]);
  return topic;
}

/** Every partition must get sales, or its watermark would hold the others' windows open. */
async function expectSalesOnEveryPartition(topic: SalesTopic): Promise<void> {
  const ends = await transport.admin().topicOffsets(topic.name);
  expect(ends.map(({ high }) => Number(high) > 0)).toEqual([true, true, true]);
}

describe('windowing through faults on a real broker', () => {
  it('SIGKILLed 4 times mid-stream and restarted: the result topic equals the batch computation', async () => {
    const topic = await inputTopic();
    const output = uniqueName('win-fault-results');
    await transport.admin().createTopics([{ topic: output, partitions: 3 }]);
    const stream = salesStream({ count: 20_000, stores: 12, spanMs: 30 * minute, disorderMs: 10_000 });
    await produceSales(transport, topic, stream.sales);
    await produceSales(transport, topic, stream.closing);
    await expectSalesOnEveryPartition(topic);
    const groupId = uniqueName('win-fault-child');
    const { children, killedMidway } = await killLoop({
      script: childScript,
      env: {
        KAFKA_BROKERS: environment.kafkaBrokers.join(','),
        INPUT: topic.name,
        OUTPUT: output,
        GROUP_ID: groupId,
        OUT_OF_ORDERNESS_MS: String(outOfOrdernessMs),
      },
      kills: 4,
      killAfter: { least: 1_000, spread: 3_000 },
    });
    expect(killedMidway).toBe(4);
    // Every child after the first found the state its predecessors checkpointed: more than the
    // barriers (one per claim and partition) the children before it and itself wrote.
    for (const [index, child] of children.entries()) {
      expect(child?.restored.partitions).toBe(3);
      if (index > 0) expect(child?.restored.records).toBeGreaterThan(3 * (index + 1));
    }
    for (const child of children) expect(child?.late.dropped).toBe(0);
    const results = await readResultTopicWithKcat(environment.kafkaBrokers, output);
    expect(results.conflicts).toEqual([]);
    expect(results.windows).toEqual(tumblingCountAndSum.batch(stream));
    // Exactly once: each window's final result is in the topic once, however often it was killed.
    expect(results.copies).toBe(0);
    expect(results.records).toBe(results.windows.size);
  }, 120_000);

  const opened: Windowing<unknown>[] = [];
  afterAll(async () => {
    for (const instance of opened.splice(0)) await instance.close().catch(() => undefined);
  });

  /** An in-process instance with its own Kafka client, in group `groupId` writing to `output`. */
  function instance(
    pipeline: FaultPipeline,
    topic: SalesTopic,
    groupId: string,
    output: string,
    transactional = false,
  ): Windowing<unknown> {
    const windowing = createWindowing({
      brokers: environment.kafkaBrokers,
      groupId,
      topics: [topic],
      window: pipeline.window,
      aggregation: pipeline.aggregation as typeof countAndSum,
      outOfOrdernessMs,
      output: { topic: output, transactional },
      // Checkpoints often, so that crashes land between them (the default is every 5 s).
      checkpointIntervalMs: 200,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
    }) as Windowing<unknown>;
    opened.push(windowing);
    return windowing;
  }

  async function groupMembers(groupId: string): Promise<number[]> {
    const group = await transport.admin().describeGroup(groupId);
    return group.members.map((member) => member.assignment.length);
  }

  /**
   * With `transactional`, results are exactly once; without, a partition can move before its
   * last checkpoint commits (kafkajs rejoins without waiting for the revoking hook), and the new
   * owner emits again what the old one emitted after it: copies, each the same revision and value.
   */
  async function scaleTest(
    pipeline: FaultPipeline,
    transactional: boolean,
    scenario: (context: {
      readonly topic: SalesTopic;
      readonly parts: ReturnType<typeof inThirds>;
      readonly make: () => Windowing<unknown>;
      readonly groupId: string;
    }) => Promise<void>,
  ) {
    const topic = await inputTopic();
    const stream = salesStream({ count: 12_000, stores: 12, spanMs: 30 * minute, disorderMs: 10_000 });
    const groupId = uniqueName('win-fault-group');
    const output = uniqueName('win-fault-results');
    const referenceGroup = uniqueName('win-fault-single');
    const referenceOutput = uniqueName('win-fault-single-results');
    await transport.admin().createTopics([
      { topic: output, partitions: 3 },
      { topic: referenceOutput, partitions: 3 },
    ]);
    const reference = instance(pipeline, topic, referenceGroup, referenceOutput, transactional);
    await reference.start();
    await scenario({
      topic,
      parts: inThirds(stream),
      make: () => instance(pipeline, topic, groupId, output, transactional),
      groupId,
    });
    await expectSalesOnEveryPartition(topic);
    // Every instance still running caught up with the whole input.
    await Promise.all(
      opened.map((windowing) => windowing.caughtUp({ timeoutMs: 60_000 }).catch(closedAlready)),
    );
    for (const windowing of opened.splice(0)) {
      expect(windowing.stats().late.dropped).toBe(0);
      await windowing.close();
    }
    const [scaled, single] = await Promise.all([
      readResultTopicWithKcat(environment.kafkaBrokers, output),
      readResultTopicWithKcat(environment.kafkaBrokers, referenceOutput),
    ]);
    expect(scaled.conflicts).toEqual([]);
    expect(scaled.windows).toEqual(pipeline.batch(stream));
    expect(scaled.windows).toEqual(single.windows);
    if (transactional) expect(scaled.copies).toBe(0);
    expect(single.copies).toBe(0);
  }

  it('scales out 1 → 3 mid-stream (results in the checkpoint transaction): partitions move with their state; results equal a single instance and the batch, exactly once', async () => {
    await scaleTest(tumblingCountAndSum, true, async ({ topic, parts, make, groupId }) => {
      const first = make();
      await first.start();
      await produceSales(transport, topic, parts[0]);
      await first.caughtUp({ timeoutMs: 30_000 });
      expect(first.stats().partitions).toBe(3);
      const joiners = [make(), make()];
      await Promise.all([
        produceSales(transport, topic, parts[1]),
        ...joiners.map((joiner) => joiner.start()),
      ]);
      await until(
        async () => (await groupMembers(groupId)).join() === '1,1,1',
        'three members with a partition each',
        30_000,
      );
      await until(
        () => joiners.every((joiner) => joiner.stats().restored.partitions >= 1),
        'the joiners to restore their partitions',
        30_000,
      );
      // The state of the windows open at the cut came along with the partitions.
      for (const joiner of joiners) expect(joiner.stats().restored.records).toBeGreaterThan(1);
      await produceSales(transport, topic, parts[2]);
    });
  }, 120_000);

  it('scales in 3 → 1 mid-stream (session windows): the last instance takes over the state; results equal a single instance and the batch', async () => {
    await scaleTest(sessionCount, false, async ({ topic, parts, make, groupId }) => {
      const [staying, ...leaving] = [make(), make(), make()] as const;
      await Promise.all([staying, ...leaving].map((instance) => instance.start()));
      await until(
        async () => (await groupMembers(groupId)).join() === '1,1,1',
        'three members with a partition each',
        30_000,
      );
      await produceSales(transport, topic, parts[0]);
      await Promise.all([staying, ...leaving].map((member) => member.caughtUp({ timeoutMs: 30_000 })));
      const restoredBefore = staying.stats().restored.partitions;
      const producing = produceSales(transport, topic, parts[1]);
      await Promise.all(leaving.map((instance) => instance.close()));
      await producing;
      await until(
        () => staying.stats().partitions === 3,
        'the staying instance to own every partition',
        30_000,
      );
      expect(staying.stats().restored.partitions - restoredBefore).toBeGreaterThanOrEqual(2);
      await produceSales(transport, topic, parts[2]);
    });
  }, 120_000);
});
