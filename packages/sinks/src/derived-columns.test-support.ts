import { defineEvent, defineTopic, jsonSchema } from '@inlet/core';

/** An event type whose JSON Schema has these top-level properties (for the derived-column tests). */
export const eventWith = (type: string, properties: Record<string, unknown>) =>
  defineEvent({
    type,
    version: 1,
    schema: jsonSchema({ type: 'object', properties } as never),
    key: () => 'k',
    eventTime: () => new Date(),
  });

/** A topic of these event types. */
export const topicOf = (...events: ReturnType<typeof eventWith>[]) => defineTopic({ name: 't', events });
