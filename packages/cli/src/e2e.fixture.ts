// Definitions for the end-to-end tests: the topic's name comes from the test (unique per run).
import { defineEvent, defineTopic, jsonSchema } from '@inlet/core';

export const NoteAdded = defineEvent({
  type: 'note.added',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      noteId: { type: 'string', minLength: 1 },
      text: { type: 'string' },
      at: { type: 'string' },
    },
    required: ['noteId', 'text', 'at'],
    additionalProperties: false,
  }),
  key: (note) => note.noteId,
  eventTime: (note) => note.at,
});

export const notes = defineTopic({
  name: process.env.INLET_E2E_TOPIC ?? 'inlet-e2e-notes',
  events: [NoteAdded],
});
