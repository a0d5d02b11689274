import {
  CloudEventHeader,
  type ContentMode,
  cloudEventsSpecVersion,
  defineEvent,
  defineTopic,
  encodeEventRecord,
  entityKeyBytes,
  type InletEvent,
  jsonSchema,
  type OutgoingRecord,
} from '@inlet/core';
import type { WindowOutput, WindowResult, WindowRetraction } from './window-operator';

/** The event a window result is emitted as: keyed by (key, start, end), versioned by revision. */
export const WindowResultEvent = defineEvent({
  type: 'inlet.window.result',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      windowKey: { type: 'string' },
      windowStart: { type: 'string' },
      windowEnd: { type: 'string' },
      startMs: { type: 'integer' },
      endMs: { type: 'integer' },
      value: {},
      events: { type: 'integer', minimum: 1 },
      revision: { type: 'integer', minimum: 1 },
      final: { type: 'boolean' },
      correction: { type: 'boolean' },
    },
    required: [
      'windowKey',
      'windowStart',
      'windowEnd',
      'startMs',
      'endMs',
      'value',
      'events',
      'revision',
      'final',
      'correction',
    ],
    additionalProperties: false,
  }),
  key: (result) => resultKey(result.windowKey, result.startMs, result.endMs),
  eventTime: (result) => result.endMs,
  entityVersion: (result) => result.revision,
  description: 'A window result: one per (key, start, end), a later revision replaces an earlier one.',
});

/** A topic of window results, for a consumer or sink pipeline reading them. */
export function windowResultTopic(name: string, settings: { readonly partitions?: number } = {}) {
  return defineTopic({ name, events: [WindowResultEvent], ...settings });
}

/** The entity key of a window's results: `<key>@<start ISO>/<end ISO>`. */
export function resultKey(key: string, start: number, end: number): string {
  return `${key}@${isoTime(start)}/${isoTime(end)}`;
}

// Windows share their bounds across keys: each bound is formatted once while it is in use.
const isoTimes = new Map<number, string>();

function isoTime(time: number): string {
  let text = isoTimes.get(time);
  if (text === undefined) {
    const date = new Date(time);
    text = Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
    if (isoTimes.size >= 4096) isoTimes.clear();
    isoTimes.set(time, text);
  }
  return text;
}

/** The id of a result: the same on every re-emission of the same revision, so a copy is a duplicate. */
function resultId(source: string, output: WindowOutput<unknown>): string {
  return `${source}/${resultKey(output.key, output.start, output.end)}#${output.revision}`;
}

export function resultEvent(
  source: string,
  result: WindowResult<unknown>,
): InletEvent<(typeof WindowResultEvent)['__data'] & object, 'inlet.window.result'> {
  const data = {
    windowKey: result.key,
    windowStart: isoTime(result.start),
    windowEnd: isoTime(result.end),
    startMs: result.start,
    endMs: result.end,
    value: result.value,
    events: result.events,
    revision: result.revision,
    final: result.final,
    correction: result.correction,
  };
  return {
    id: resultId(source, result),
    type: 'inlet.window.result',
    version: 1,
    key: resultKey(result.key, result.start, result.end),
    eventTime: new Date(result.end),
    producedAt: new Date(),
    source,
    entityVersion: result.revision,
    extensions: {},
    headers: {},
    data,
  };
}

/** A result as a record of the output topic; a retraction as a tombstone with its version. */
export function outputRecord(
  topic: string,
  source: string,
  output: WindowOutput<unknown>,
  contentMode: ContentMode = 'binary',
): OutgoingRecord {
  if (output.type === 'result')
    return encodeEventRecord(topic, resultEvent(source, output), WindowResultEvent, { contentMode });
  return retractionRecord(topic, source, output);
}

function retractionRecord(topic: string, source: string, retraction: WindowRetraction): OutgoingRecord {
  const key = resultKey(retraction.key, retraction.start, retraction.end);
  return {
    topic,
    key: entityKeyBytes(key),
    value: null,
    headers: {
      [CloudEventHeader.specVersion]: cloudEventsSpecVersion,
      [CloudEventHeader.id]: resultId(source, retraction),
      [CloudEventHeader.source]: source,
      [CloudEventHeader.time]: isoTime(retraction.end),
      [CloudEventHeader.type]: WindowResultEvent.type,
      [CloudEventHeader.entityVersion]: String(retraction.revision),
    },
    timestamp: retraction.end,
  };
}
