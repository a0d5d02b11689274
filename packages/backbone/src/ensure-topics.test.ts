// ensureTopics (from core) against the backbone's own admin: topics made from their definitions
// get the partitions asked for, and what exists is left alone.
import { defineEvent, defineTopic, ensureTopics, jsonSchema } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { createInMemoryBackbone } from './in-memory-backbone';

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

describe('ensureTopics on the backbone', () => {
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

  it('creates nothing when given something that is not a topic definition', async () => {
    await using transport = createInMemoryBackbone();
    await expect(ensureTopics(transport, [{ name: 'x' } as never])).rejects.toMatchObject({
      code: 'INLET_INVALID_OPTION',
    });
    expect(await transport.admin().listTopics()).toEqual([]);
  });
});
