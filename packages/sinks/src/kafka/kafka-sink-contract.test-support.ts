import {
  decodeEventRecord,
  defineEvent,
  defineTopic,
  type IncomingRecord,
  jsonSchema,
  type KafkaTransport,
} from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { contractTopic, type SinkUnderTest, type TargetEntity } from '../sink-contract';
import { createKafkaSink } from './kafka-sink';

// The sink contract for the Kafka sink. Its target is a topic, so the state the contract reads
// back is what a version-gated reader of that topic folds it into (as `@inlet/consumer` does
// with a version gate): per key, the record with the highest entity version, a tombstone as a
// delete. The output topic's own definition of the item refuses the value "refused", so the
// producer refuses that change alone.

const OutputItem = defineEvent({
  type: 'contract.item',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1 },
      revision: { type: 'integer', minimum: 0 },
      value: { type: 'string', not: { const: 'refused' } },
    },
    required: ['id', 'revision', 'value'],
    additionalProperties: false,
  }),
  key: (item) => item.id,
  eventTime: () => new Date(),
  entityVersion: (item) => item.revision,
});

let counter = 0;

/** Every record of `topic` (one partition), read from the beginning up to its end now. */
async function readTopic(transport: KafkaTransport, topic: string): Promise<IncomingRecord[]> {
  const ends = await transport.admin().topicOffsets(topic);
  const total = ends.reduce((sum, { high }) => sum + Number(high), 0);
  if (total === 0) return [];
  const records: IncomingRecord[] = [];
  const consumer = transport.consumer({ groupId: `${topic}-reader-${++counter}` });
  try {
    await consumer.subscribe([topic]);
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      onBatch: async (batch) => {
        records.push(...batch.records);
        if (records.length >= total) done();
      },
    });
    await Promise.race([
      all,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`read ${records.length} of ${total}`)), 20_000),
      ),
    ]);
  } finally {
    await consumer.close();
  }
  return records;
}

/** A Kafka sink over a fresh output topic of `transport`, for `describeSinkContract`. */
export async function kafkaSinkUnderTest(transport: KafkaTransport, prefix: string): Promise<SinkUnderTest> {
  counter += 1;
  const output = defineTopic({ name: `${prefix}-out-${counter}`, events: [OutputItem], partitions: 1 });
  await transport.admin().createTopics([{ topic: output.name, partitions: 1 }]);
  const producer = createProducer({ transport, linger: { ms: 0 } });
  const sink = createKafkaSink({ producer, topic: output, topics: [contractTopic] });
  return {
    sink,
    async read() {
      const state = new Map<string, TargetEntity>();
      for (const record of await readTopic(transport, output.name)) {
        const id = record.key?.toString() ?? '';
        const version = Number(record.headers.ce_entityversion?.toString());
        const current = state.get(id);
        if (current?.revision !== undefined && current.revision >= version) continue;
        if (record.value === null) {
          state.set(id, { revision: version, value: undefined, deleted: true });
        } else {
          const event = decodeEventRecord(record, output);
          const data = event.data as { value: string };
          state.set(id, { revision: version, value: data.value, deleted: false });
        }
      }
      return state;
    },
    async cleanup() {
      await producer.close();
    },
  };
}
