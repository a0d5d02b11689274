import {
  type AnyEventDefinition,
  decodeEventRecord,
  type EntityKey,
  type EventHeaders,
  type EventHeaderValue,
  entityKeyFromBytes,
  entityKeyId,
  type IncomingRecord,
  InletDecodeError,
  InletError,
  InletErrorCode,
  type InletEvent,
  type SchemaResolver,
  schemaIdOf,
  type TopicDefinition,
} from '@inlet/core';
import { toInletError } from './retries';
import { isTombstone, type Tombstone, type TombstoneMode } from './tombstone';
import type { WorkItem } from './work-item';

/** What a decoder gets besides the record. */
export interface DecoderContext {
  /** The topic the record came from, with its event definitions. */
  readonly topic: TopicDefinition;
  /** The writer's codec for a registry schema id, when a registry is configured (cached ids only). */
  readonly writerCodecForSchemaId:
    | ((schemaId: number) => ReturnType<SchemaResolver['cachedWriterCodecFor']>)
    | undefined;
}

/**
 * What a decoder says a record holds. Only `type` and `data` are required; the rest defaults
 * from the record and the definition: `id` to `<topic>/<partition>@<offset>` (the same on every
 * redelivery of the record, so redeliveries are deduplicated, though a producer's resent copy at
 * another offset is not), `key` to the record key, `eventTime` to the event time the definition
 * reads from the data, `entityVersion` likewise, `version` to the definition's, `source` to
 * `kafka:<topic>`, `headers` to the record's own.
 */
export interface DecodedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly id?: string;
  readonly key?: EntityKey;
  readonly eventTime?: Date;
  readonly entityVersion?: number;
  readonly version?: number;
  readonly source?: string;
  readonly subject?: string;
  readonly headers?: EventHeaders;
}

/** What a decoder says when a record deletes its entity (a CDC delete): a tombstone. */
export interface DecodedTombstone {
  readonly tombstone: true;
  readonly id?: string;
  readonly key?: EntityKey;
  readonly entityVersion?: number;
  readonly eventTime?: Date;
  readonly type?: string;
}

/**
 * Turns records that are not Inlet's CloudEvents (Debezium change events, plain JSON from other
 * producers) into events of the topic's definitions. Throw when a record cannot be decoded (an
 * `InletDecodeError` names the problem best): the record is dead-lettered with the error, as a
 * record the built-in decoder refuses is. What it returns is checked like what the built-in
 * decoder reads: the type must be one the topic defines, the data must pass its schema.
 */
export type EventDecoder = (
  record: IncomingRecord,
  context: DecoderContext,
) => DecodedEvent | DecodedTombstone;

/** The built-in decoding: CloudEvents over the Kafka binding, binary or structured mode (`@inlet/core`). */
function decodeCloudEvent(record: IncomingRecord, context: DecoderContext): InletEvent {
  return decodeEventRecord(
    record,
    context.topic,
    context.writerCodecForSchemaId === undefined
      ? {}
      : { writerCodecForSchemaId: context.writerCodecForSchemaId },
  );
}

/**
 * The lane of a record: events with the same key bytes, whoever wrote them, must share one. The
 * decoded key is a function of the bytes (text when they are UTF-8), so it serves as it is, with no
 * string made per event. A record that did not decode has its key read the same way (only that
 * rare path pays for it), so that it waits its turn behind the events of its key; byte keys take
 * the bytes one character per byte. Two different keys meeting in one lane would only cost
 * concurrency, never order; one key in two lanes would cost order.
 */
function laneKeyOf(
  record: IncomingRecord,
  event: InletEvent | Tombstone | undefined,
  multipleTopics: boolean,
): string {
  const entityKey =
    event !== undefined ? event.key : record.key === null ? undefined : entityKeyFromBytes(record.key);
  const key =
    typeof entityKey === 'string'
      ? entityKey
      : record.key === null
        ? `\u0000offset ${record.offset}`
        : `\u0000${record.key.toString('latin1')}`;
  return multipleTopics ? `${record.topic}\u0000${key}` : key;
}

export interface EventDecodingOptions {
  readonly groupId: string;
  readonly topics: ReadonlyMap<string, TopicDefinition>;
  readonly registry: SchemaResolver | undefined;
  readonly decoder: EventDecoder | undefined;
  readonly dedupKey: (event: InletEvent) => string;
  /** Whether a version gate is on: only then are version keys made. */
  readonly versionGate: boolean;
  /** What records without a value become. Default `dead-letter`. */
  readonly tombstones?: TombstoneMode;
}

/**
 * The decode stage: a fetched record becomes a work item carrying its event (or why it could not
 * be decoded), its dedup key, its entity's version key and its lane.
 */
export class EventDecoding {
  readonly #options: EventDecodingOptions;
  readonly #context = new Map<string, DecoderContext>();
  readonly #multipleTopics: boolean;

  constructor(options: EventDecodingOptions) {
    this.#options = options;
    this.#multipleTopics = options.topics.size > 1;
    const { registry } = options;
    const writerCodecForSchemaId =
      registry === undefined ? undefined : (id: number) => registry.cachedWriterCodecFor(id);
    for (const topic of options.topics.values())
      this.#context.set(topic.name, { topic, writerCodecForSchemaId });
  }

  /**
   * Makes sure the writer schemas of registry-framed records are cached before decoding. An
   * unknown id is the record's problem (it is dead-lettered when decoded); an outage is not:
   * it rejects, so that the transport delivers the batch again later.
   */
  async resolveWriterSchemas(records: readonly IncomingRecord[]): Promise<void> {
    const { registry } = this.#options;
    if (registry === undefined) return;
    // A batch's records mostly share their schema: each run of one id is looked up once.
    let previous: number | undefined;
    for (const record of records) {
      const id = schemaIdOf(record);
      if (id === undefined || id === previous) continue;
      previous = id;
      if (registry.cachedWriterCodecFor(id) !== undefined) continue;
      try {
        await registry.writerCodecFor(id);
      } catch (error) {
        if (InletError.hasCode(error, InletErrorCode.unknownSchemaId)) continue;
        throw error;
      }
    }
  }

  workItem(record: IncomingRecord, epoch: number, partitionKey: string, highWatermark: string): WorkItem {
    const { groupId, versionGate } = this.#options;
    const context = this.#context.get(record.topic) as DecoderContext;
    let event: InletEvent | Tombstone | undefined;
    let definition: AnyEventDefinition | undefined;
    let decodeError: InletError | undefined;
    try {
      event = this.#decode(record, context);
      if (!isTombstone(event))
        definition = context.topic.find(event.type, event.version) ?? context.topic.latest(event.type);
    } catch (error) {
      event = undefined;
      decodeError = toInletError(error, InletErrorCode.malformedPayload);
    }
    const entityVersion = event?.entityVersion;
    return {
      epoch,
      partitionKey,
      laneKey: laneKeyOf(record, event, this.#multipleTopics),
      record,
      offset: Number(record.offset),
      highWatermark,
      event,
      definition,
      decodeError,
      dedupKey: event === undefined ? '' : isTombstone(event) ? event.id : this.#options.dedupKey(event),
      versionKey:
        event === undefined || !versionGate || entityVersion === undefined
          ? undefined
          : `${groupId}\u0000${record.topic}\u0000${entityKeyId(event.key)}`,
      entityVersion,
      bytes: (record.key?.length ?? 0) + (record.value?.length ?? 0),
      settled: false,
      commit: { epoch, partitionKey, offset: Number(record.offset), holds: 0, awaitingRelease: false },
    };
  }

  #decode(record: IncomingRecord, context: DecoderContext): InletEvent | Tombstone {
    const decoder = this.#options.decoder;
    if (decoder === undefined) {
      if (record.value === null && this.#options.tombstones === 'deliver') return recordTombstone(record);
      return decodeCloudEvent(record, context);
    }
    const decoded = decoder(record, context);
    if (
      typeof decoded === 'object' &&
      decoded !== null &&
      (decoded as Partial<DecodedTombstone>).tombstone === true
    ) {
      if (this.#options.tombstones !== 'deliver') {
        throw decodeProblem(
          record,
          InletErrorCode.truncated,
          'the decoder returned a tombstone, and the consumer does not deliver tombstones (tombstones: "deliver")',
        );
      }
      return completedTombstone(decoded as DecodedTombstone, record);
    }
    return completedEvent(decoded as DecodedEvent, record, context.topic);
  }
}

/** A record without a value as a tombstone: what its headers say, else what the record says. */
function recordTombstone(record: IncomingRecord): Tombstone {
  if (record.key === null || record.key.length === 0) {
    throw decodeProblem(
      record,
      InletErrorCode.invalidKey,
      'a tombstone (no value) without a key deletes nothing',
    );
  }
  const text = (name: string) => {
    const value = record.headers[name];
    return value === null || value === undefined ? undefined : utf8OrBytes(value);
  };
  const id = text('ce_id');
  const timeText = text('ce_time');
  const versionText = text('ce_entityversion');
  const type = text('ce_type');
  const eventTime = typeof timeText === 'string' ? new Date(timeText) : new Date(record.timestamp);
  const entityVersion =
    typeof versionText === 'string' && /^\d{1,15}$/.test(versionText) ? Number(versionText) : undefined;
  if (typeof versionText === 'string' && entityVersion === undefined) {
    throw decodeProblem(
      record,
      InletErrorCode.malformedPayload,
      `header ce_entityversion "${versionText}" is not an integer`,
    );
  }
  if (Number.isNaN(eventTime.getTime())) {
    throw decodeProblem(
      record,
      InletErrorCode.invalidEventTime,
      `header ce_time "${String(timeText)}" is not a time`,
    );
  }
  return {
    tombstone: true,
    id: typeof id === 'string' ? id : `${record.topic}/${record.partition}@${record.offset}`,
    key: entityKeyFromBytes(record.key),
    ...(entityVersion === undefined ? {} : { entityVersion }),
    eventTime,
    ...(typeof type === 'string' ? { type } : {}),
    headers: recordHeaders(record),
  };
}

/** A decoder's tombstone, completed from the record. */
function completedTombstone(decoded: DecodedTombstone, record: IncomingRecord): Tombstone {
  const key =
    decoded.key ??
    (record.key === null || record.key.length === 0 ? undefined : entityKeyFromBytes(record.key));
  if (key === undefined)
    throw decodeProblem(record, InletErrorCode.invalidKey, 'the decoder returned a tombstone without a key');
  return {
    tombstone: true,
    id: decoded.id ?? `${record.topic}/${record.partition}@${record.offset}`,
    key,
    ...(decoded.entityVersion === undefined ? {} : { entityVersion: decoded.entityVersion }),
    eventTime: decoded.eventTime ?? new Date(record.timestamp),
    ...(decoded.type === undefined ? {} : { type: decoded.type }),
    headers: recordHeaders(record),
  };
}

function decodeProblem(record: IncomingRecord, code: InletErrorCode, message: string): InletDecodeError {
  return new InletDecodeError(code, message, record);
}

/** What a user's decoder returned, checked as the built-in decoder checks what it reads, and completed. */
function completedEvent(decoded: DecodedEvent, record: IncomingRecord, topic: TopicDefinition): InletEvent {
  if (typeof decoded !== 'object' || decoded === null || typeof decoded.type !== 'string') {
    throw decodeProblem(record, InletErrorCode.malformedPayload, 'the decoder returned no event type');
  }
  const definition =
    (decoded.version === undefined ? undefined : topic.find(decoded.type, decoded.version)) ??
    topic.latest(decoded.type);
  if (definition === undefined) {
    throw decodeProblem(
      record,
      InletErrorCode.unknownEventType,
      `the decoder returned type "${decoded.type}", which topic "${topic.name}" does not define (known: ${topic.types().join(', ')})`,
    );
  }
  const checked = definition.check(decoded.data);
  if (!checked.ok) {
    throw new InletDecodeError(
      InletErrorCode.validationFailed,
      `"${decoded.type}" data from the decoder fails its schema: ${checked.issues
        .slice(0, 3)
        .map((issue) => `${issue.path || '(root)'} ${issue.message}`)
        .join('; ')}`,
      record,
      { issues: checked.issues },
    );
  }
  const data = checked.value;
  let key: EntityKey;
  let eventTime: Date;
  let entityVersion: number | undefined;
  try {
    key =
      decoded.key ??
      (record.key === null || record.key.length === 0
        ? definition.keyOf(data)
        : entityKeyFromBytes(record.key));
    eventTime = decoded.eventTime ?? definition.eventTimeOf(data);
    entityVersion = decoded.entityVersion ?? definition.entityVersionOf(data);
  } catch (error) {
    throw new InletDecodeError(
      InletError.is(error) ? (error.code as InletErrorCode) : InletErrorCode.malformedPayload,
      `the decoded "${decoded.type}": ${error instanceof Error ? error.message : String(error)}`,
      record,
      { cause: error },
    );
  }
  if (!(eventTime instanceof Date) || Number.isNaN(eventTime.getTime())) {
    throw decodeProblem(record, InletErrorCode.invalidEventTime, 'the decoder returned an invalid eventTime');
  }
  return {
    id: decoded.id ?? `${record.topic}/${record.partition}@${record.offset}`,
    type: decoded.type,
    version: definition.version,
    key,
    eventTime,
    producedAt: new Date(record.timestamp),
    source: decoded.source ?? `kafka:${record.topic}`,
    ...(entityVersion === undefined ? {} : { entityVersion }),
    ...(decoded.subject === undefined ? {} : { subject: decoded.subject }),
    extensions: {},
    headers: decoded.headers ?? recordHeaders(record),
    data,
  };
}

/** A record's headers as an event's: text when UTF-8, bytes otherwise, null kept, repeats kept. */
function recordHeaders(record: IncomingRecord): EventHeaders {
  const headers: Record<string, EventHeaderValue | EventHeaderValue[]> = Object.create(null);
  for (const { name, value } of record.headerList) {
    const text = value === null ? null : utf8OrBytes(value);
    const existing = headers[name];
    if (existing === undefined) headers[name] = text;
    else if (Array.isArray(existing)) existing.push(text);
    else headers[name] = [existing as EventHeaderValue, text];
  }
  return headers;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8OrBytes(value: Buffer): string | Buffer {
  try {
    return strictUtf8.decode(value);
  } catch {
    return value;
  }
}
