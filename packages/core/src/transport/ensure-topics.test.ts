import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import { defineEvent } from '../events/define-event';
import { defineTopic } from '../events/define-topic';
import { ensureTopics } from './ensure-topics';
import type { KafkaTransport, TopicSpec, TransportAdmin } from './transport';

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

/** An admin that holds topic names and partition counts, and nothing else ensureTopics needs not. */
function topicsAdmin(existing: Record<string, number> = {}) {
  const partitions = new Map(Object.entries(existing));
  let closed = 0;
  const admin = {
    listTopics: async () => [...partitions.keys()],
    createTopics: async (specs: readonly TopicSpec[]) => {
      const created = specs.filter((spec) => !partitions.has(spec.topic));
      for (const spec of created) partitions.set(spec.topic, spec.partitions ?? 1);
      return created.map((spec) => spec.topic);
    },
    close: async () => {
      closed += 1;
    },
  } as unknown as TransportAdmin;
  return { admin, partitions, closedCount: () => closed };
}

describe('ensureTopics', () => {
  it('creates the topics that do not exist yet, from their definitions, and leaves the others', async () => {
    const { admin, partitions } = topicsAdmin({ audit: 2 });
    const notes = defineTopic({ name: 'notes', events: [Noted], partitions: 4 });
    const audit = defineTopic({ name: 'audit', events: [Noted] });

    const result = await ensureTopics(admin, [notes, audit]);

    expect(result).toEqual({ created: ['notes'], existing: ['audit'] });
    expect(Object.fromEntries(partitions)).toEqual({ audit: 2, notes: 4 });
    expect(await ensureTopics(admin, [notes])).toEqual({ created: [], existing: ['notes'] });
  });

  it('closes the admin it makes from a transport, and leaves a given admin open', async () => {
    const { admin, closedCount } = topicsAdmin();
    const transport = { admin: () => admin } as unknown as KafkaTransport;
    await ensureTopics(transport, [defineTopic({ name: 'notes', events: [Noted] })]);
    expect(closedCount()).toBe(1);
    await ensureTopics(admin, [defineTopic({ name: 'notes', events: [Noted] })]);
    expect(closedCount()).toBe(1);
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
    const { admin, partitions } = topicsAdmin();
    await expect(ensureTopics(admin, [{ name: 'x' } as never])).rejects.toMatchObject({
      code: 'INLET_INVALID_OPTION',
    });
    expect(partitions.size).toBe(0);
  });
});
