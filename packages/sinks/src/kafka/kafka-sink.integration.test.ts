import { fileURLToPath } from 'node:url';
import { DeadLetterHeader } from '@inlet/consumer';
import { defineEvent, defineTopic, type IncomingRecord, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashLoop } from '../crash-loop.test-support';
import { createPipeline } from '../pipeline';
import { readingsTopic } from './fixtures/readings.fixture';
import { createKafkaSink } from './kafka-sink';

// The Kafka sink on a real broker: stream to stream, with and without transactions, through
// pipelines in child processes that are SIGKILLed mid-stream and started again.

const environment = testEnvironment();
const childScript = fileURLToPath(new URL('./fixtures/kafka-sink-child.fixture.ts', import.meta.url));
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'sinks-kafka' });
});
afterAll(async () => {
  await transport.close();
});

async function topics(partitions: number) {
  const input = readingsTopic(uniqueName('kafka-sink-in'));
  const output = readingsTopic(uniqueName('kafka-sink-out'));
  await transport.admin().createTopics([
    { topic: input.name, partitions },
    { topic: output.name, partitions: 1 },
    { topic: `${input.name}.dlq`, partitions: 1 },
  ]);
  return { input, output };
}

async function produceReadings(input: ReturnType<typeof readingsTopic>, meters: number, rounds: number) {
  const producer = createProducer({ transport });
  const ids: string[] = [];
  try {
    for (let seq = 0; seq < rounds; seq += 1) {
      const results = await producer.sendBatch(
        input,
        Array.from({ length: meters }, (_, meter) => ({
          type: 'meter.reading' as const,
          data: { meter: `m-${meter}`, seq },
        })),
      );
      ids.push(...results.map((result) => result.id));
    }
  } finally {
    await producer.close();
  }
  return ids;
}

/**
 * Everything committed on a one-partition topic: a sentinel is sent after it (the writers are
 * gone by then), and a read_committed reader reads up to it, which it reaches only once every
 * transaction before it is committed or aborted.
 */
async function readCommitted(
  topic: ReturnType<typeof defineTopic>,
  sentinelEvent: { type: string; data: unknown } = {
    type: 'meter.reading',
    data: { meter: 'sentinel', seq: 0 },
  },
): Promise<IncomingRecord[]> {
  const producer = createProducer({ transport });
  await producer.send(topic, sentinelEvent as never);
  await producer.close();
  const records: IncomingRecord[] = [];
  let sentinel = false;
  const reader = transport.consumer({
    groupId: uniqueName('kafka-sink-reader'),
    isolation: 'read_committed',
  });
  try {
    await reader.subscribe([topic.name]);
    await reader.run({
      onBatch: async (batch) => {
        for (const record of batch.records) {
          if (record.key?.toString() === 'sentinel') sentinel = true;
          else records.push(record);
        }
      },
    });
    await eventually(() => sentinel || undefined, {
      timeoutMs: 60_000,
      what: `the sentinel on ${topic.name}`,
    });
  } finally {
    await reader.close();
  }
  return records;
}

function countsById(records: readonly IncomingRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const id = record.headers.ce_id?.toString() ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Pipelines in child processes, three SIGKILLed mid-stream, then one that finishes. */
async function crashLoopUntilCommitted(env: Record<string, string>, total: number): Promise<number> {
  const committed = async () =>
    (await transport.admin().groupOffsets(env.GROUP_ID as string, env.INPUT as string)).reduce(
      (sum, { offset }) => sum + Math.max(0, Number(offset)),
      0,
    );
  const { killedMidway } = await crashLoop({
    script: childScript,
    env: { KAFKA_BROKERS: environment.kafkaBrokers.join(','), ...env },
    kills: 3,
    killAfter: { least: 100, spread: 300 },
    done: async () => (await committed()) >= total,
    what: 'every input committed',
  });
  return killedMidway;
}

describe('the Kafka sink on a real broker', () => {
  it('transactional: each input once in the output (read_committed) through three SIGKILLs', async () => {
    const { input, output } = await topics(3);
    const ids = await produceReadings(input, 100, 30);
    const env = {
      MODE: 'transactional',
      INPUT: input.name,
      OUTPUT: output.name,
      GROUP_ID: uniqueName('kafka-sink-tx'),
      TRANSACTIONAL_ID: uniqueName('kafka-sink-tx-id'),
    };
    const killedMidway = await crashLoopUntilCommitted(env, ids.length);
    expect(killedMidway).toBe(3);
    const records = await readCommitted(output);
    const counts = countsById(records);
    expect(counts.size).toBe(ids.length);
    for (const id of ids) expect(counts.get(id)).toBe(1);
    // The consumer commits the same offsets after each transaction did: they end at the end.
    const ends = await transport.admin().topicOffsets(input.name);
    const offsets = await transport.admin().groupOffsets(env.GROUP_ID, input.name);
    for (const { partition, high } of ends)
      expect(offsets.find((each) => each.partition === partition)?.offset).toBe(high);
  }, 300_000);

  it('without a transaction: each input at least once through three SIGKILLs, nothing lost', async () => {
    const { input, output } = await topics(3);
    // More than the transactional case: without transactions a child gets through 3 000 inputs
    // faster than a kill at a random point after its first few hundred lands.
    const ids = await produceReadings(input, 100, 100);
    const env = {
      MODE: 'plain',
      INPUT: input.name,
      OUTPUT: output.name,
      GROUP_ID: uniqueName('kafka-sink-plain'),
    };
    const killedMidway = await crashLoopUntilCommitted(env, ids.length);
    expect(killedMidway).toBe(3);
    const counts = countsById(await readCommitted(output));
    for (const id of ids) expect(counts.get(id) ?? 0).toBeGreaterThanOrEqual(1);
    expect(counts.size).toBe(ids.length);
  }, 300_000);

  const Doubled = defineEvent({
    type: 'meter.doubled',
    version: 1,
    schema: jsonSchema({
      type: 'object',
      properties: { meter: { type: 'string' }, doubled: { type: 'integer' } },
      required: ['meter', 'doubled'],
      additionalProperties: false,
    }),
    key: (reading) => reading.meter,
    eventTime: () => new Date(),
    entityVersion: (reading) => reading.doubled,
  });

  it('maps: drops, transforms, dead-letters what the output topic refuses, and drops deletes when told', async () => {
    const { input } = await topics(1);
    const doubled = defineTopic({ name: uniqueName('kafka-sink-doubled'), events: [Doubled] });
    await transport.admin().createTopics([{ topic: doubled.name, partitions: 1 }]);
    await produceReadings(input, 10, 2);
    const producer = createProducer({ transport });
    await producer.sendTombstone(input, 'm-3', { entityVersion: 5 });
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('kafka-sink-map'),
      topics: [input],
      sink: createKafkaSink({
        producer,
        topic: doubled,
        topics: [input],
        deletes: 'drop',
        map: (event) =>
          event.data.seq === 0
            ? undefined
            : {
                type: 'meter.doubled',
                // m-7's output breaks the output schema: refused, and so dead-lettered.
                data: {
                  meter: event.data.meter,
                  doubled: event.data.meter === 'm-7' ? 1.5 : event.data.seq * 2,
                },
              },
      }),
      batching: { maxBatch: 100, lingerMs: 50 },
    });
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      expect(pipeline.stats()).toMatchObject({ rejected: 1 });
    } finally {
      await pipeline.close();
    }
    const records = await readCommitted(doubled, {
      type: 'meter.doubled',
      data: { meter: 'sentinel', doubled: 0 },
    });
    expect(records.every((record) => record.value !== null)).toBe(true);
    expect(
      records
        .map((record) => JSON.parse(record.value?.toString() ?? '{}'))
        .sort((a, b) => a.meter.localeCompare(b.meter)),
    ).toEqual(
      Array.from({ length: 10 }, (_, meter) => `m-${meter}`)
        .filter((meter) => meter !== 'm-7')
        .sort()
        .map((meter) => ({ meter, doubled: 2 })),
    );
    const letters: IncomingRecord[] = [];
    const reader = transport.consumer({ groupId: uniqueName('kafka-sink-dlq') });
    try {
      await reader.subscribe([`${input.name}.dlq`]);
      await reader.run({ onBatch: async (batch) => void letters.push(...batch.records) });
      await eventually(() => letters.length === 1 || undefined, {
        timeoutMs: 60_000,
        what: 'the dead letter',
      });
      expect(letters[0]?.headers[DeadLetterHeader.errorCode]?.toString()).toBe('INLET_VALIDATION_FAILED');
      expect(letters[0]?.key?.toString()).toBe('m-7');
    } finally {
      await reader.close();
      await producer.close();
    }
  }, 120_000);

  it('forwards deletes as tombstones with their version, in a transaction', async () => {
    const { input, output } = await topics(1);
    const setup = createProducer({ transport });
    await setup.send(input, { type: 'meter.reading', data: { meter: 'm-1', seq: 1 } });
    await setup.sendTombstone(input, 'm-1', { entityVersion: 2, type: 'meter.reading', id: 'delete-m-1' });
    await setup.close();
    const producer = createProducer({ transport, transactionalId: uniqueName('kafka-sink-deletes') });
    const sink = createKafkaSink({ producer, topic: output, topics: [input] });
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('kafka-sink-deletes'),
      topics: [input],
      sink,
    });
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      expect(sink.transactional()).toBe(true);
    } finally {
      await pipeline.close();
      await producer.close();
    }
    const [event, tombstone] = await readCommitted(output);
    expect(event?.value).not.toBeNull();
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.key?.toString()).toBe('m-1');
    expect(tombstone?.headers.ce_entityversion?.toString()).toBe('2');
    expect(tombstone?.headers.ce_id?.toString()).toBe('delete-m-1');
    expect(tombstone?.headers.ce_type?.toString()).toBe('meter.reading');
  }, 120_000);

  it('refuses wrong options when it is made', async () => {
    const producer = createProducer({ transport });
    try {
      const output = readingsTopic('x');
      expect(() => createKafkaSink({ producer: {} as never, topic: output })).toThrow(/producer/);
      expect(() => createKafkaSink({ producer, topic: output, deletes: 'keep' as never })).toThrow(/deletes/);
      expect(() => createKafkaSink({ producer, topic: output, mapper: () => undefined } as never)).toThrow(
        /mapper: is not an option/,
      );
    } finally {
      await producer.close();
    }
  });
});
