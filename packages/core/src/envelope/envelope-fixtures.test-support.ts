// Definitions and record builders shared by the envelope tests. Not part of the public API.
import { avroSchema } from '../codecs/avro/avro-schema';
import { jsonSchema } from '../codecs/json/json-schema-codec';
import { InletDecodeError, type RawRecord, type RecordHeader } from '../errors';
import { defineEvent } from '../events/define-event';
import { defineTopic } from '../events/define-topic';
import { deliveredHeaders, headerViews } from '../transport/record-headers';
import type { OutgoingRecord } from '../transport/transport';
import { type DecodeEventOptions, decodeEventRecord } from './event-record';

export const now = Date.UTC(2026, 10, 25, 12, 0, 0);

export const GateOpened = defineEvent({
  type: 'gate.opened',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      gateId: { type: 'string', minLength: 1 },
      openedAt: { type: 'string' },
      revision: { type: 'integer', minimum: 0 },
    },
    required: ['gateId', 'openedAt', 'revision'],
    additionalProperties: false,
  }),
  key: (gate) => gate.gateId,
  eventTime: (gate) => gate.openedAt,
  entityVersion: (gate) => gate.revision,
});

export const LaneCounted = defineEvent({
  type: 'lane.counted',
  version: 1,
  schema: avroSchema({
    type: 'record',
    name: 'LaneCounted',
    fields: [
      { name: 'laneId', type: 'string' },
      { name: 'count', type: 'int' },
      { name: 'countedAt', type: 'string' },
    ],
  }),
  key: (lane) => lane.laneId,
  eventTime: (lane) => lane.countedAt,
});

export const gates = defineTopic({ name: 'gates', events: [GateOpened, LaneCounted] });

export const gate = { gateId: 'o-gate', openedAt: '2026-11-25T11:59:00Z', revision: 5 };

/** A record as a consumer would receive it, from its parts. */
export function rawRecord(parts: {
  readonly key?: Buffer | null;
  readonly value?: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  readonly offset?: string;
}): RawRecord {
  return {
    topic: 'gates',
    partition: 0,
    offset: parts.offset ?? '0',
    key: parts.key === undefined ? Buffer.from('o-gate') : parts.key,
    value: parts.value === undefined ? Buffer.from(JSON.stringify(gate)) : parts.value,
    ...headerViews(parts.headers ?? []),
    timestamp: now,
  };
}

/** The record a consumer receives for one Inlet sent. */
export function received(record: OutgoingRecord, offset = '0'): RawRecord {
  return {
    topic: record.topic,
    partition: 0,
    offset,
    key: record.key,
    value: record.value,
    ...deliveredHeaders(record.headers),
    timestamp: record.timestamp ?? now,
  };
}

/** Text headers, in order, as a foreign producer would write them. */
export function textHeaders(entries: readonly (readonly [string, string | Buffer | null])[]): RecordHeader[] {
  return entries.map(([name, value]) => ({
    name,
    value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
  }));
}

/** The binary-mode attribute headers of a minimal valid foreign CloudEvent of `gate.opened`. */
export function foreignBinaryHeaders(): RecordHeader[] {
  return textHeaders([
    ['ce_specversion', '1.0'],
    ['ce_id', 'A234-1234-1234'],
    ['ce_source', '/gates/north'],
    ['ce_type', 'gate.opened'],
    ['ce_time', '2026-11-25T11:59:00Z'],
    ['content-type', 'application/json'],
  ]);
}

export function decodeFailure(record: RawRecord, options: DecodeEventOptions = {}): InletDecodeError {
  try {
    decodeEventRecord(record, gates, options);
  } catch (error) {
    if (error instanceof InletDecodeError) return error;
    throw error;
  }
  throw new Error('expected a decode error');
}
