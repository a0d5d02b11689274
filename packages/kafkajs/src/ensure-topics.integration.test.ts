import { defineEvent, defineTopic, ensureTopics, jsonSchema } from '@inlet/core';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaJsTransport } from './kafkajs-transport';

const brokers = [...testEnvironment().kafkaBrokers];
const transport = createKafkaJsTransport({ brokers, clientId: 'ensure-topics-test' });
afterAll(() => transport.close());

const Noted = defineEvent({
  type: 'note.added',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { id: { type: 'string' }, at: { type: 'string' } },
    required: ['id', 'at'],
    additionalProperties: false,
  }),
  key: (note) => note.id,
  eventTime: (note) => note.at,
});

// Read back independently of Inlet, with a plain kafkajs admin.
async function describeTopic(topic: string) {
  const kafka = new Kafka({ brokers, clientId: 'ensure-topics-check', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const configs = Object.fromEntries(
      (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
    return { partitions: topics[0]?.partitions ?? [], configs };
  } finally {
    await admin.disconnect();
  }
}

describe('ensureTopics on a real broker', () => {
  it('creates topics with their partitions, replication, retention, compaction and configs, once', async () => {
    const snapshots = defineTopic({
      name: uniqueName('ensure-compacted'),
      events: [Noted],
      partitions: 3,
      replicationFactor: 1,
      cleanupPolicy: 'compact',
      config: { 'min.compaction.lag.ms': '60000' },
    });
    const history = defineTopic({
      name: uniqueName('ensure-retained'),
      events: [Noted],
      retentionMs: 3_600_000,
    });

    expect(await ensureTopics(transport, [snapshots, history])).toEqual({
      created: [snapshots.name, history.name],
      existing: [],
    });
    expect(await ensureTopics(transport, [snapshots, history])).toEqual({
      created: [],
      existing: [snapshots.name, history.name],
    });

    const compacted = await describeTopic(snapshots.name);
    expect(compacted.partitions).toHaveLength(3);
    expect(compacted.partitions.every((partition) => partition.leader >= 0)).toBe(true);
    expect(compacted.configs['cleanup.policy']).toBe('compact');
    expect(compacted.configs['min.compaction.lag.ms']).toBe('60000');
    const retained = await describeTopic(history.name);
    expect(retained.partitions).toHaveLength(1);
    expect(retained.configs['retention.ms']).toBe('3600000');

    // Writable at once: a producer's first send needs no retry.
    const producer = transport.producer();
    const acks = await producer.send([
      { topic: snapshots.name, key: Buffer.from('k'), value: Buffer.from('v') },
    ]);
    expect(acks).toHaveLength(1);
    await producer.close();
  });
});
