import { createInMemoryBackbone } from '@inlet/backbone';
import type { Tombstone } from '@inlet/consumer';
import { createEvent, type IncomingRecord, type KafkaTransport, type TopicEvent } from '@inlet/core';
import { createProducer, type InletProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkBatch, SinkChange } from '../sink';
import { Reading, readingsTopic } from './fixtures/readings.fixture';
import { createKafkaSink } from './kafka-sink';

// The Kafka sink on the in-memory backbone, written to directly.

type ReadingEvent = TopicEvent<ReturnType<typeof readingsTopic>>;
let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function setup(transactional: boolean) {
  const transport = createInMemoryBackbone({ defaultPartitions: 1, autoCreateTopics: true });
  opened.push(transport);
  counter += 1;
  const producer = createProducer({
    transport,
    ...(transactional ? { transactionalId: `kafka-sink-unit-${counter}` } : {}),
  });
  opened.push(producer);
  const input = readingsTopic(`in-${counter}`);
  const output = readingsTopic(`out-${counter}`);
  await transport.admin().createTopics([
    { topic: input.name, partitions: 1 },
    { topic: output.name, partitions: 1 },
  ]);
  return { transport, producer, input, output };
}

let offset = 0;
function reading(meter: string, seq: number): SinkChange<ReadingEvent> {
  const event = createEvent(Reading, { meter, seq }, { source: 'urn:test' }) as ReadingEvent;
  return { kind: 'upsert', event, key: meter, entityVersion: seq, offset: String(offset++) };
}
function deletion(meter: string, seq: number): SinkChange<ReadingEvent> {
  const tombstone: Tombstone = {
    tombstone: true,
    id: `delete-${meter}-${seq}`,
    key: meter,
    entityVersion: seq,
    eventTime: new Date(),
    type: 'meter.reading',
    headers: {},
  };
  return { kind: 'delete', tombstone, key: meter, entityVersion: seq, offset: String(offset++) };
}
function batchOf(topic: string, changes: SinkChange<ReadingEvent>[]): SinkBatch<ReadingEvent> {
  return {
    groupId: `group-${counter}`,
    topic,
    partition: 0,
    changes,
    nextOffset: String(Number(changes.at(-1)?.offset) + 1),
  };
}
const signal = new AbortController().signal;

async function readAll(transport: KafkaTransport, topic: string, count: number): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = [];
  const consumer = transport.consumer({ groupId: `reader-${++counter}` });
  await consumer.subscribe([topic]);
  await consumer.run({ onBatch: async (batch) => void records.push(...batch.records) });
  await expect.poll(() => records.length).toBe(count);
  await consumer.close();
  return records;
}

function meterOf(record: IncomingRecord): string {
  return record.key?.toString() ?? '';
}

describe('the Kafka sink', () => {
  it('forwards events and deletes in order, keeping ids, without a transaction', async () => {
    const { transport, producer, input, output } = await setup(false);
    const sink = createKafkaSink({ producer, topic: output, topics: [input] });
    const changes = [reading('a', 1), reading('b', 1), deletion('a', 2), reading('c', 1)];
    expect(await sink.write(batchOf(input.name, changes), { signal })).toEqual({ rejected: [] });
    expect(sink.transactional()).toBe(false);
    const records = await readAll(transport, output.name, 4);
    expect(records.map(meterOf)).toEqual(['a', 'b', 'a', 'c']);
    expect(records[2]?.value).toBeNull();
    expect(records[2]?.headers.ce_entityversion?.toString()).toBe('2');
    expect(records[2]?.headers.ce_id?.toString()).toBe('delete-a-2');
    expect(records[0]?.headers.ce_id?.toString()).toBe((changes[0] as { event: { id: string } }).event.id);
  });

  it('commits the input offsets with the outputs in a transaction, also under its own group', async () => {
    const { transport, producer, input, output } = await setup(true);
    const sink = createKafkaSink({ producer, topic: output, topics: [input], transport });
    const batch = batchOf(input.name, [reading('a', 1), reading('b', 1)]);
    await sink.write(batch, { signal });
    expect(sink.transactional()).toBe(true);
    expect(await readAll(transport, output.name, 2)).toHaveLength(2);
    const committed = await transport.admin().groupOffsets(batch.groupId, input.name);
    expect(committed).toEqual([{ topic: input.name, partition: 0, offset: batch.nextOffset }]);
    expect(await sink.storedOffsets?.(batch.groupId, [{ topic: input.name, partition: 0 }])).toEqual([
      { topic: input.name, partition: 0, offset: batch.nextOffset },
    ]);
    expect(await sink.storedOffsets?.(batch.groupId, [{ topic: input.name, partition: 1 }])).toEqual([]);
  });

  it('has no stored offsets without a transport', async () => {
    const { producer, output } = await setup(true);
    expect(createKafkaSink({ producer, topic: output }).storedOffsets).toBeUndefined();
  });

  for (const transactional of [false, true]) {
    it(`rejects what the producer refuses and what map throws on, and sends the rest (${transactional ? 'in a transaction' : 'plain'})`, async () => {
      const { transport, producer, input, output } = await setup(transactional);
      const sink = createKafkaSink({
        producer,
        topic: output,
        topics: [input],
        map: (event) => {
          if (event.data.meter === 'throws') throw new Error('cannot map');
          return {
            type: 'meter.reading',
            data: event.data.meter === 'bad' ? { meter: '', seq: event.data.seq } : event.data,
          };
        },
      });
      const result = await sink.write(
        batchOf(input.name, [
          reading('a', 1),
          reading('bad', 1),
          reading('b', 1),
          reading('throws', 1),
          reading('c', 1),
        ]),
        { signal },
      );
      expect(result?.rejected?.map(({ index }) => index).sort()).toEqual([1, 3]);
      expect(result?.rejected?.find(({ index }) => index === 1)?.error).toMatchObject({
        code: 'INLET_VALIDATION_FAILED',
      });
      expect((await readAll(transport, output.name, 3)).map(meterOf)).toEqual(['a', 'b', 'c']);
    });
  }

  it('drops what map drops, and deletes when told', async () => {
    const { transport, producer, input, output } = await setup(false);
    const sink = createKafkaSink({
      producer,
      topic: output,
      topics: [input],
      deletes: 'drop',
      map: (event) => (event.data.seq % 2 === 0 ? undefined : { type: 'meter.reading', data: event.data }),
    });
    await sink.write(
      batchOf(input.name, [reading('a', 1), reading('a', 2), deletion('b', 3), reading('c', 3)]),
      {
        signal,
      },
    );
    expect((await readAll(transport, output.name, 2)).map(meterOf)).toEqual(['a', 'c']);
  });

  it('fails the write with the producer’s error when sending fails, and after close', async () => {
    const { producer, input, output } = await setup(false);
    const sink = createKafkaSink({ producer, topic: output, topics: [input] });
    await (producer as InletProducer).close();
    await expect(sink.write(batchOf(input.name, [reading('a', 1)]), { signal })).rejects.toMatchObject({
      code: 'INLET_CLOSED',
    });
    await sink.close();
    await expect(sink.write(batchOf(input.name, [reading('a', 1)]), { signal })).rejects.toMatchObject({
      code: 'INLET_CLOSED',
    });
  });
});
