import type { KafkaTransport, TransportConsumer } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGroupLag } from './group-lag';
import { createMonitor } from './monitor';
import type { AlertStatus } from './monitor-snapshot';

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'monitor-integration' });
});
afterAll(async () => {
  await transport.close();
});

async function topicWith(partitions: number): Promise<string> {
  const topic = uniqueName('monitor');
  const admin = transport.admin();
  await admin.createTopics([{ topic, partitions }]);
  await admin.close();
  return topic;
}

async function produce(topic: string, count: number, timestampOf: (index: number) => number, partition = 0) {
  const producer = transport.producer();
  await producer.connect();
  await producer.send(
    Array.from({ length: count }, (_, index) => ({
      topic,
      partition,
      key: Buffer.from(`k${index}`),
      value: Buffer.from(`v${index}`),
      timestamp: timestampOf(index),
    })),
  );
  await producer.close();
}

/** A consumer whose handling blocks while `blocked` is true and commits each batch it finishes. */
async function gatedConsumer(topic: string, groupId: string) {
  const gate: { blocked: boolean; release: () => void } = { blocked: false, release: () => undefined };
  let opened: Promise<void> = Promise.resolve();
  const consumer: TransportConsumer = transport.consumer({
    groupId,
    maxWaitTimeMs: 200,
    sessionTimeoutMs: 30_000,
  });
  await consumer.connect();
  await consumer.subscribe([topic]);
  await consumer.run({
    onBatch: async (batch, controls) => {
      while (gate.blocked) {
        await opened;
        await controls.heartbeat().catch(() => undefined);
      }
      await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
    },
  });
  return {
    consumer,
    block() {
      gate.blocked = true;
      opened = new Promise<void>((resolve) => {
        gate.release = () => {
          gate.blocked = false;
          resolve();
        };
      });
    },
    unblock: () => gate.release(),
  };
}

describe('monitor on a real broker', () => {
  it('reads lag in events and in seconds from the record at the committed offset', async () => {
    const topic = await topicWith(2);
    const groupId = uniqueName('lag-group');
    const base = Date.now() - 600_000;
    // Partition 0: 10 records, a minute apart from ten minutes ago; partition 1: 3 records.
    await produce(topic, 10, (index) => base + index * 60_000, 0);
    await produce(topic, 3, () => base, 1);
    const admin = transport.admin();
    await admin.setGroupOffsets(groupId, [
      { topic, partition: 0, offset: '4' },
      { topic, partition: 1, offset: '3' },
    ]);
    await admin.close();

    const now = Date.now();
    const lag = await readGroupLag({ transport, groupId, topics: [topic], now: () => now });
    const byPartition = [...lag].sort((a, b) => a.partition - b.partition);
    expect(
      byPartition.map(({ partition, committedOffset, endOffset, lagEvents }) => ({
        partition,
        committedOffset,
        endOffset,
        lagEvents,
      })),
    ).toEqual([
      { partition: 0, committedOffset: '4', endOffset: '10', lagEvents: 6 },
      { partition: 1, committedOffset: '3', endOffset: '3', lagEvents: 0 },
    ]);
    // The record at offset 4 has timestamp base + 4 min: exact, since `now` is fixed.
    expect(byPartition[0]?.lagSeconds).toBeCloseTo((now - (base + 4 * 60_000)) / 1000, 3);
    expect(byPartition[1]?.lagSeconds).toBe(0);

    const none = await readGroupLag({
      transport,
      groupId: uniqueName('never-committed'),
      topics: [topic],
      now: () => now,
    });
    expect(none.find((each) => each.partition === 0)).toMatchObject({ committedOffset: null, lagEvents: 10 });
    expect(none.find((each) => each.partition === 0)?.lagSeconds).toBeCloseTo((now - base) / 1000, 3);
  }, 90_000);

  it('raises stall while a handler blocks and resolves it when the handler recovers', async () => {
    const topic = await topicWith(1);
    const groupId = uniqueName('stall-group');
    const changes: AlertStatus[] = [];
    const gated = await gatedConsumer(topic, groupId);
    await produce(topic, 3, () => Date.now());
    await eventually(
      async () => {
        const lag = await readGroupLag({ transport, groupId, topics: [topic] });
        return lag[0]?.lagEvents === 0 && lag[0]?.committedOffset === '3' ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the consumer to catch up' },
    );

    const monitor = createMonitor({
      transport,
      flows: [{ name: 'stall-flow', groupId, topics: [topic] }],
      rules: [{ kind: 'stall', name: 'stalled', stalledForMs: 3_000 }],
      hooks: [(change) => void changes.push(change)],
      sampleIntervalMs: 500,
    });
    try {
      gated.block();
      const producedAt = Date.now();
      await produce(topic, 5, () => Date.now());
      await eventually(() => (changes.some((change) => change.state === 'firing') ? true : undefined), {
        timeoutMs: 60_000,
        what: 'the stall alert',
      });
      expect(changes).toMatchObject([{ rule: 'stalled', flow: 'stall-flow', state: 'firing' }]);
      // Not before the lag had stood still for the configured 3 s.
      expect(Date.parse(changes[0]?.since ?? '') - producedAt).toBeGreaterThanOrEqual(3_000);
      gated.unblock();
      await eventually(() => (changes.length === 2 ? true : undefined), {
        timeoutMs: 60_000,
        what: 'the stall to resolve',
      });
      expect(changes.map((change) => change.state)).toEqual(['firing', 'resolved']);
      const snapshot = monitor.snapshot();
      expect(snapshot.alerts).toMatchObject([{ rule: 'stalled', state: 'resolved' }]);
      expect(snapshot.flows[0]?.history.length).toBeGreaterThan(2);
    } finally {
      gated.unblock();
      await monitor.close();
      await gated.consumer.close();
    }
  }, 150_000);

  it('raises silence when the producer goes quiet and resolves when it sends again', async () => {
    const topic = await topicWith(1);
    const groupId = uniqueName('silence-group');
    const changes: AlertStatus[] = [];
    // Produced before the monitor starts, so the first samples already see it: the alert can
    // only fire on the quiet that follows.
    const producedAt = Date.now();
    await produce(topic, 1, () => Date.now());
    const monitor = createMonitor({
      transport,
      flows: [{ name: 'silence-flow', groupId, topics: [topic] }],
      rules: [{ kind: 'silence', name: 'silent', silentForMs: 3_000 }],
      hooks: [(change) => void changes.push(change)],
      sampleIntervalMs: 500,
    });
    try {
      await eventually(() => (changes.some((change) => change.state === 'firing') ? true : undefined), {
        timeoutMs: 60_000,
        what: 'the silence alert',
      });
      expect(changes).toMatchObject([{ rule: 'silent', flow: 'silence-flow', state: 'firing' }]);
      expect(Date.parse(changes[0]?.since ?? '') - producedAt).toBeGreaterThanOrEqual(3_000);
      await produce(topic, 1, () => Date.now());
      await eventually(() => (changes.length === 2 ? true : undefined), {
        timeoutMs: 60_000,
        what: 'silence to resolve',
      });
      expect(changes.map((change) => change.state)).toEqual(['firing', 'resolved']);
    } finally {
      await monitor.close();
    }
  }, 150_000);
});
