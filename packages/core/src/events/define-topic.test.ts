import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import { defineEvent } from './define-event';
import { defineTopic } from './define-topic';

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

describe('defineTopic settings', () => {
  it('keeps the settings a topic is created with', () => {
    const notes = defineTopic({
      name: 'notes',
      events: [Noted],
      partitions: 6,
      replicationFactor: 3,
      retentionMs: 86_400_000,
      cleanupPolicy: 'compact',
      config: { 'min.insync.replicas': '2' },
    });
    expect(notes.settings).toEqual({
      partitions: 6,
      replicationFactor: 3,
      retentionMs: 86_400_000,
      cleanupPolicy: 'compact',
      config: { 'min.insync.replicas': '2' },
    });
    expect(Object.isFrozen(notes.settings)).toBe(true);
    expect(defineTopic({ name: 'plain', events: [Noted] }).settings).toEqual({});
  });

  it('refuses settings Kafka would refuse, naming them', () => {
    const bad = (settings: Record<string, unknown>) => () =>
      defineTopic({ name: 'notes', events: [Noted], ...settings } as never);
    expect(bad({ partitions: 0 })).toThrow(/partitions/);
    expect(bad({ partitions: 1.5 })).toThrow(/partitions/);
    expect(bad({ replicationFactor: 0 })).toThrow(/replicationFactor/);
    expect(bad({ retentionMs: -2 })).toThrow(/retentionMs/);
    expect(bad({ cleanupPolicy: 'compacted' })).toThrow(/cleanupPolicy/);
    expect(bad({ config: { 'retention.ms': 5 } })).toThrow(/config\["retention.ms"\]/);
    expect(bad({ retentionMs: 1000, config: { 'retention.ms': '5' } })).toThrow(/retention.ms/);
    expect(bad({ partitons: 3 })).toThrow(/partitons.*did you mean partitions/);
    for (const attempt of [bad({ partitions: 0 }), bad({ partitons: 3 })]) {
      expect(attempt).toThrow(expect.objectContaining({ code: 'INLET_INVALID_DEFINITION' }));
    }
  });
});
