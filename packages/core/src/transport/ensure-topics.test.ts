import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import { defineEvent } from '../events/define-event';
import { defineTopic } from '../events/define-topic';
import { ensureTopics } from './ensure-topics';
import { createInMemoryBackbone } from './in-memory/in-memory-backbone';
import type { TopicSpec, TransportAdmin } from './transport';

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

describe('ensureTopics', () => {
  it('creates the topics that do not exist yet, from their definitions, and leaves the others', async () => {
    await using transport = createInMemoryBackbone();
    const notes = defineTopic({ name: 'notes', events: [Noted], partitions: 4 });
    const audit = defineTopic({ name: 'audit', events: [Noted] });
    await transport.admin().createTopics([{ topic: 'audit', partitions: 2 }]);

    const result = await ensureTopics(transport, [notes, audit]);

    expect(result).toEqual({ created: ['notes'], existing: ['audit'] });
    const admin = transport.admin();
    expect(await admin.partitionCount('notes')).toBe(4);
    expect(await admin.partitionCount('audit')).toBe(2);
    expect(await ensureTopics(admin, [notes])).toEqual({ created: [], existing: ['notes'] });
    await admin.close();
  });

  it('asks for partitions, replication, retention, compaction and other configs as Kafka names them', async () => {
    const asked: TopicSpec[] = [];
    const admin = {
      listTopics: async () => [],
      createTopics: async (specs: readonly TopicSpec[]) => {
        asked.push(...specs);
        return specs.map((spec) => spec.topic);
      },
    } as unknown as TransportAdmin;
    const compacted = defineTopic({
      name: 'customers',
      events: [Noted],
      partitions: 6,
      replicationFactor: 3,
      retentionMs: -1,
      cleanupPolicy: 'compact',
      config: { 'min.insync.replicas': '2' },
    });
    const defaults = defineTopic({ name: 'notes', events: [Noted] });

    await ensureTopics(admin, [compacted, defaults]);

    expect(asked).toEqual([
      {
        topic: 'customers',
        partitions: 6,
        replicationFactor: 3,
        config: { 'min.insync.replicas': '2', 'retention.ms': '-1', 'cleanup.policy': 'compact' },
      },
      { topic: 'notes', partitions: 1, config: {} },
    ]);
  });

  it('refuses what is not a topic definition, before creating anything', async () => {
    await using transport = createInMemoryBackbone();
    await expect(ensureTopics(transport, [{ name: 'x' } as never])).rejects.toMatchObject({
      code: 'INLET_INVALID_OPTION',
    });
    expect(await transport.admin().listTopics()).toEqual([]);
  });
});
