import { defineEvent, defineTopic, jsonSchema, type KafkaTransport, type TopicEvent } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySink } from './memory-sink';
import { createPipeline } from './pipeline';
import type { Sink } from './sink';

// Pipelines on a real broker: a second instance joins mid-stream and leaves again; with a sink
// that keeps its own offsets, every change is applied once and the target equals the source.

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'sinks-pipeline' });
});
afterAll(async () => {
  await transport.close();
});

const Reading = defineEvent({
  type: 'meter.reading',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { meter: { type: 'string' }, seq: { type: 'integer' } },
    required: ['meter', 'seq'],
    additionalProperties: false,
  }),
  key: (reading) => reading.meter,
  eventTime: () => new Date(),
  entityVersion: (reading) => reading.seq,
});

async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('pipelines on a real broker', () => {
  it('apply every change once through a rebalance, with a sink that keeps its offsets', async () => {
    const readings = defineTopic({ name: uniqueName('readings'), events: [Reading], partitions: 4 });
    await transport.admin().createTopics([{ topic: readings.name, partitions: 4 }]);
    type Event = TopicEvent<typeof readings>;
    const memory = createMemorySink<Event>();
    // Counts how often each change reaches the target: with stored offsets, never twice.
    const writes = new Map<string, number>();
    const shared: Sink<Event> = {
      name: 'shared-memory',
      async write(batch, context) {
        for (const change of batch.changes)
          writes.set(
            `${batch.partition}@${change.offset}`,
            (writes.get(`${batch.partition}@${change.offset}`) ?? 0) + 1,
          );
        return memory.write(batch, context);
      },
      storedOffsets: (groupId, partitions) =>
        memory.storedOffsets?.(groupId, partitions) ?? Promise.resolve([]),
      async close() {},
    };
    const groupId = uniqueName('readings-group');
    const make = () =>
      createPipeline({
        transport,
        groupId,
        topics: [readings],
        sink: shared,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        batching: { maxBatch: 50, lingerMs: 10 },
      });
    const producer = createProducer({ transport });
    const sendRound = async (round: number) => {
      await producer.sendBatch(
        readings,
        Array.from({ length: 200 }, (_, meter) => ({
          type: 'meter.reading' as const,
          data: { meter: `m-${meter}`, seq: round },
        })),
      );
    };
    const first = make();
    const second = make();
    try {
      await first.start();
      for (let round = 0; round < 5; round += 1) await sendRound(round);
      await until(() => first.stats().written > 0, 'the first pipeline writing');
      await second.start();
      // Both members own partitions before the next rounds arrive.
      await until(
        () =>
          Object.keys(second.stats().uncommitted).length > 0 &&
          Object.keys(first.stats().uncommitted).length < 4,
        'the rebalance',
      );
      for (let round = 5; round < 10; round += 1) await sendRound(round);
      await until(
        () => [...memory.entities.values()].filter((entity) => entity.entityVersion === 9).length === 200,
        'every meter at its last reading',
      );
      expect(second.stats().written).toBeGreaterThan(0);
      await second.close();
      for (let round = 10; round < 12; round += 1) await sendRound(round);
      // caughtUp covers the partitions owned at the call: wait until the first owns all again.
      await until(
        () => Object.keys(first.stats().uncommitted).length === 4,
        'the partitions back with the first',
      );
      await first.caughtUp({ timeoutMs: 60_000 });
      expect(memory.entities.size).toBe(200);
      for (const entity of memory.entities.values()) expect(entity.entityVersion).toBe(11);
      expect(writes.size).toBe(200 * 12);
      expect([...writes.values()].every((count) => count === 1)).toBe(true);
    } finally {
      await producer.close();
      await second.close();
      await first.close();
    }
  }, 120_000);
});
