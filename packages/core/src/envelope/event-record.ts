import type { PayloadCodec } from '../codecs/payload-codec';
import { InletDecodeError, InletErrorCode, type RawRecord } from '../errors';
import type { AnyEventDefinition, TopicDefinition } from '../events/define-topic';
import { entityKeyBytes } from '../events/entity-key';
import { formatRfc3339, parseRfc3339 } from '../events/rfc3339';
import type { OutgoingRecord } from '../transport/transport';
import {
  CloudEventHeader,
  cloudEventsSpecVersion,
  contentTypeFor,
  isValidTraceparent,
  parseContentType,
} from './cloudevents';
import type { InletEvent } from './inlet-event';
import { frameConfluent, unframeConfluent } from './wire-format';

/**
 * Which instant the Kafka record timestamp carries. Inlet's default is `eventTime`: Kafka calls
 * the producer-set timestamp CreateTime, and Kafka Streams, Flink and ksqlDB read it as event
 * time. See the README for what that means for retention and replay by time.
 */
export type RecordTimestampSource = 'eventTime' | 'producedAt';

export interface EncodeEventOptions {
  /** The registry id of the definition's schema: frames the value in the Confluent wire format. */
  readonly schemaId?: number;
  readonly recordTimestamp?: RecordTimestampSource;
}

/** The record an event travels as: CloudEvents binary mode over the Kafka protocol binding. */
export function encodeEventRecord<TData>(
  topic: string,
  event: InletEvent<TData>,
  definition: { readonly codec: PayloadCodec<TData> },
  options: EncodeEventOptions = {},
): OutgoingRecord {
  const { codec } = definition;
  const framed = options.schemaId !== undefined;
  const value = framed
    ? (codec.encodeFramed?.(event.data, options.schemaId as number) ??
      frameConfluent(options.schemaId as number, codec.encode(event.data)))
    : codec.encode(event.data);
  const headers: Record<string, string> = {
    [CloudEventHeader.specVersion]: cloudEventsSpecVersion,
    [CloudEventHeader.id]: event.id,
    [CloudEventHeader.source]: event.source,
    [CloudEventHeader.type]: event.type,
    [CloudEventHeader.time]: formatRfc3339(event.eventTime.getTime()),
    [CloudEventHeader.recordedTime]: formatRfc3339(event.producedAt.getTime()),
    [CloudEventHeader.schemaVersion]: String(event.version),
    [CloudEventHeader.contentType]: contentTypeFor(codec.format, framed),
  };
  if (typeof event.key === 'string') headers[CloudEventHeader.partitionKey] = event.key;
  if (event.entityVersion !== undefined)
    headers[CloudEventHeader.entityVersion] = String(event.entityVersion);
  if (event.traceparent !== undefined) headers[CloudEventHeader.traceparent] = event.traceparent;
  if (event.tracestate !== undefined) headers[CloudEventHeader.tracestate] = event.tracestate;
  const own = event.headers;
  for (const name in own) headers[name] = own[name] as string;
  const timestamp = options.recordTimestamp === 'producedAt' ? event.producedAt : event.eventTime;
  return {
    topic,
    key: entityKeyBytes(event.key, event.type),
    value,
    headers,
    timestamp: timestamp.getTime(),
  };
}

export interface DecodeEventOptions {
  /**
   * The writer's codec for a registry schema id. Return undefined when the id is unknown; the
   * consumer resolves unknown ids (asynchronously) before decoding, see `schemaIdOf`.
   */
  readonly writerCodecForSchemaId?: (schemaId: number) => PayloadCodec<unknown> | undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function headerText(record: RawRecord, name: string): string | undefined {
  const value = record.headers[name];
  if (value === undefined) return undefined;
  if (value === null) {
    throw new InletDecodeError(InletErrorCode.malformedPayload, `header ${name} has no value`, record);
  }
  try {
    return strictUtf8.decode(value);
  } catch (cause) {
    throw new InletDecodeError(InletErrorCode.malformedPayload, `header ${name} is not valid UTF-8`, record, {
      cause,
    });
  }
}

function requiredHeader(record: RawRecord, name: string): string {
  const value = headerText(record, name);
  if (value === undefined || value.length === 0) {
    throw new InletDecodeError(InletErrorCode.missingHeader, `required header ${name} is missing`, record);
  }
  return value;
}

function parseTime(record: RawRecord, name: string, text: string): Date {
  const millis = parseRfc3339(text);
  if (Number.isNaN(millis)) {
    throw new InletDecodeError(
      InletErrorCode.malformedPayload,
      `header ${name} "${text}" is not an RFC 3339 time`,
      record,
    );
  }
  return new Date(millis);
}

function parseNonNegativeInteger(record: RawRecord, name: string, text: string): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new InletDecodeError(
      InletErrorCode.malformedPayload,
      `header ${name} "${text}" is not an integer`,
      record,
    );
  }
  return value;
}

/** The registry schema id of a Confluent-framed record value, when it has one. */
export function schemaIdOf(record: RawRecord): number | undefined {
  const contentType = record.headers[CloudEventHeader.contentType];
  const parsed =
    contentType === undefined || contentType === null
      ? undefined
      : parseContentType(contentType.toString('latin1'));
  if (!parsed?.registryFramed || record.value === null) return undefined;
  const unframed = unframeConfluent(record.value);
  return unframed.ok ? unframed.schemaId : undefined;
}

function pickDefinition(
  record: RawRecord,
  topic: TopicDefinition,
  type: string,
  version: number | undefined,
) {
  if (version !== undefined) {
    const exact = topic.find(type, version);
    if (exact !== undefined) return exact;
  }
  const latest = topic.latest(type);
  if (latest === undefined) {
    throw new InletDecodeError(
      InletErrorCode.unknownEventType,
      `no definition for event type "${type}" on topic "${topic.name}" (known: ${topic.types().join(', ')})`,
      record,
    );
  }
  return latest;
}

function decodeKey(record: RawRecord, stringKey: string | undefined) {
  if (record.key === null || record.key.length === 0) {
    throw new InletDecodeError(InletErrorCode.invalidKey, 'record has no entity key', record);
  }
  if (stringKey === undefined) return Buffer.from(record.key);
  try {
    return strictUtf8.decode(record.key);
  } catch (cause) {
    throw new InletDecodeError(InletErrorCode.invalidKey, 'string entity key is not valid UTF-8', record, {
      cause,
    });
  }
}

function decodeData(
  record: RawRecord,
  definition: AnyEventDefinition,
  version: number | undefined,
  options: DecodeEventOptions,
): unknown {
  if (record.value === null) {
    throw new InletDecodeError(InletErrorCode.truncated, 'record has no value (a tombstone?)', record);
  }
  const contentTypeText = headerText(record, CloudEventHeader.contentType);
  const contentType =
    contentTypeText === undefined
      ? { format: definition.codec.format, registryFramed: false }
      : parseContentType(contentTypeText);
  if (contentType === undefined) {
    throw new InletDecodeError(
      InletErrorCode.unsupportedContentType,
      `content-type "${contentTypeText}" is not one Inlet reads`,
      record,
    );
  }
  if (contentType.format !== definition.codec.format) {
    throw new InletDecodeError(
      InletErrorCode.unsupportedContentType,
      `content-type "${contentTypeText}" does not match the ${definition.codec.format} schema of "${definition.type}"`,
      record,
    );
  }
  let payload = record.value;
  let writer: PayloadCodec<unknown> | undefined;
  if (contentType.registryFramed) {
    const unframed = unframeConfluent(record.value);
    if (!unframed.ok) {
      const code = unframed.reason === 'truncated' ? InletErrorCode.truncated : InletErrorCode.badMagicByte;
      throw new InletDecodeError(code, unframed.message, record);
    }
    payload = unframed.payload;
    writer = options.writerCodecForSchemaId?.(unframed.schemaId);
    if (writer === undefined) {
      throw new InletDecodeError(
        InletErrorCode.unknownSchemaId,
        `schema id ${unframed.schemaId} is not known to the schema registry in use`,
        record,
      );
    }
  } else if (version !== undefined && version !== definition.version && definition.codec.format === 'avro') {
    // Plain Avro cannot be read without the writer's exact schema.
    throw new InletDecodeError(
      InletErrorCode.unknownSchemaId,
      `"${definition.type}" version ${version} is not defined here and the record carries no registry schema id`,
      record,
    );
  }
  const decoded = definition.codec.decode(payload, writer);
  if (!decoded.ok) {
    const code = decoded.reason === 'truncated' ? InletErrorCode.truncated : InletErrorCode.malformedPayload;
    throw new InletDecodeError(code, `value of "${definition.type}": ${decoded.message}`, record, {
      cause: decoded.cause,
    });
  }
  return decoded.value;
}

/**
 * Decodes a record into an event, strictly: every problem (missing headers, a type with no
 * definition, bad framing, an unknown schema id, malformed or invalid data) is an
 * {@link InletDecodeError} with a stable code and the untouched record. Never a silent default.
 */
export function decodeEventRecord(
  record: RawRecord,
  topic: TopicDefinition,
  options: DecodeEventOptions = {},
): InletEvent {
  const specVersion = requiredHeader(record, CloudEventHeader.specVersion);
  if (specVersion !== cloudEventsSpecVersion) {
    throw new InletDecodeError(
      InletErrorCode.unsupportedContentType,
      `CloudEvents spec version "${specVersion}" is not 1.0`,
      record,
    );
  }
  const id = requiredHeader(record, CloudEventHeader.id);
  const type = requiredHeader(record, CloudEventHeader.type);
  const source = requiredHeader(record, CloudEventHeader.source);
  const eventTime = parseTime(record, CloudEventHeader.time, requiredHeader(record, CloudEventHeader.time));
  const versionText = headerText(record, CloudEventHeader.schemaVersion);
  const version =
    versionText === undefined
      ? undefined
      : parseNonNegativeInteger(record, CloudEventHeader.schemaVersion, versionText);
  const definition = pickDefinition(record, topic, type, version);
  const data = decodeData(record, definition, version, options);
  const checked = definition.check(data);
  if (!checked.ok) {
    throw new InletDecodeError(
      InletErrorCode.validationFailed,
      `"${type}" data fails its schema: ${checked.issues
        .slice(0, 3)
        .map((issue) => `${issue.path || '(root)'} ${issue.message}`)
        .join('; ')}`,
      record,
      { issues: checked.issues },
    );
  }
  const recordedTimeText = headerText(record, CloudEventHeader.recordedTime);
  const producedAt =
    recordedTimeText === undefined
      ? new Date(record.timestamp)
      : parseTime(record, CloudEventHeader.recordedTime, recordedTimeText);
  const traceparent = headerText(record, CloudEventHeader.traceparent);
  const tracestate = headerText(record, CloudEventHeader.tracestate);
  const entityVersionText = headerText(record, CloudEventHeader.entityVersion);
  const headers: Record<string, string> = {};
  for (const name of Object.keys(record.headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('ce_') || lower === 'content-type') continue;
    const value = headerText(record, name);
    if (value !== undefined) headers[name] = value;
  }
  return {
    id,
    type,
    version: version ?? definition.version,
    key: decodeKey(record, headerText(record, CloudEventHeader.partitionKey)),
    eventTime,
    producedAt,
    source,
    ...(traceparent !== undefined && isValidTraceparent(traceparent) ? { traceparent } : {}),
    ...(tracestate === undefined ? {} : { tracestate }),
    ...(entityVersionText === undefined
      ? {}
      : {
          entityVersion: parseNonNegativeInteger(record, CloudEventHeader.entityVersion, entityVersionText),
        }),
    headers,
    data: checked.value,
  };
}
