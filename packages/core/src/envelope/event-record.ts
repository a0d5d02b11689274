import type { PayloadCodec } from '../codecs/payload-codec';
import {
  InletDecodeError,
  InletErrorCode,
  InletValidationError,
  type RawRecord,
  type ValidationIssue,
} from '../errors';
import type { AnyEventDefinition, TopicDefinition } from '../events/define-topic';
import { type EntityKey, entityKeyBytes, entityKeyFromBytes } from '../events/entity-key';
import { formatRfc3339, parseRfc3339 } from '../events/rfc3339';
import type { OutgoingHeaders, OutgoingHeaderValue, OutgoingRecord } from '../transport/transport';
import { binaryModeAttributes, contentTypeText, type RecordAttributes, sortHeaders } from './binary-mode';
import {
  attributeHeaderPrefix,
  CloudEventHeader,
  cloudEventsSpecVersion,
  contentTypeFor,
  envelopeAttributeNames,
  isJsonEventFormat,
  isJsonMediaType,
  isReservedHeaderName,
  isStructuredContentType,
  isValidTraceparent,
  type ParsedContentType,
  parseContentType,
  registryDataSchema,
} from './cloudevents';
import type { EventHeaders, InletEvent } from './inlet-event';
import { readStructuredEvent, type StructuredData } from './structured-mode';
import { confluentHeaderLength, confluentMagicByte, frameConfluent, unframeConfluent } from './wire-format';

/**
 * Which instant the Kafka record timestamp carries. Inlet's default is `eventTime`: Kafka calls
 * the producer-set timestamp CreateTime, and Kafka Streams, Flink and ksqlDB read it as event
 * time. See the README for what that means for retention and replay by time.
 */
export type RecordTimestampSource = 'eventTime' | 'producedAt';

export interface EncodeEventOptions {
  /** The registry id of the definition's schema: frames the value in the Confluent wire format. */
  readonly schemaId?: number;
  /**
   * The registry's URL, for the `ce_dataschema` of a framed value (`<url>/schemas/ids/<id>`,
   * credentials removed); without it, `urn:inlet:schema-registry:id:<id>`.
   */
  readonly schemaRegistryUrl?: string;
  readonly recordTimestamp?: RecordTimestampSource;
  /**
   * How the CloudEvent travels (the Kafka protocol binding's two modes). `binary`, the default:
   * the value is the data, each attribute a `ce_` header. `structured`: the value is the whole
   * event in the JSON event format (`application/cloudevents+json`), with only the content type
   * and application headers as headers; data in JSON is embedded as is, other data as
   * `data_base64`. Inlet reads both; structured costs kafkajs about a quarter as much to send,
   * as it encodes every header into a buffer of its own.
   */
  readonly contentMode?: ContentMode;
}

export type ContentMode = 'binary' | 'structured';

/** The content type of a structured-mode record. */
export const structuredContentType = 'application/cloudevents+json; charset=UTF-8';

function encodeIssue(event: InletEvent<unknown>, path: string, message: string): InletValidationError {
  return new InletValidationError(InletErrorCode.validationFailed, event.type, [{ path, message }]);
}

// `headers.__proto__ = value` would change the prototype instead of adding a header.
function putHeader(
  headers: Record<string, OutgoingHeaderValue | readonly OutgoingHeaderValue[]>,
  name: string,
  value: OutgoingHeaderValue | readonly OutgoingHeaderValue[],
): void {
  if (name === '__proto__') {
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    headers[name] = value;
  }
}

function putApplicationHeaders(
  headers: Record<string, OutgoingHeaderValue | readonly OutgoingHeaderValue[]>,
  event: InletEvent<unknown>,
): void {
  const own: EventHeaders = event.headers;
  for (const name of Object.keys(own)) {
    const value = own[name] as EventHeaders[string];
    if (isReservedHeaderName(name)) {
      throw encodeIssue(event, `(headers)/${name}`, 'is reserved for the CloudEvents envelope');
    }
    // A decoded event can hold a header with no value; no transport can write one (kafkajs cannot).
    if (value === null || (Array.isArray(value) && value.includes(null))) {
      throw encodeIssue(event, `(headers)/${name}`, 'has no value, and a header without one cannot be sent');
    }
    putHeader(headers, name, value as OutgoingHeaderValue | readonly OutgoingHeaderValue[]);
  }
}

/**
 * The record an event travels as: a CloudEvent in binary content mode over the Kafka protocol
 * binding. Refuses (INLET_VALIDATION_FAILED) what the record could not carry as the event has it.
 */
export function encodeEventRecord<TData>(
  topic: string,
  event: InletEvent<TData>,
  definition: { readonly codec: PayloadCodec<TData> },
  options: EncodeEventOptions = {},
): OutgoingRecord {
  const { codec } = definition;
  const schemaId = options.schemaId;
  const value =
    schemaId !== undefined
      ? (codec.encodeFramed?.(event.data, schemaId) ?? frameConfluent(schemaId, codec.encode(event.data)))
      : codec.encode(event.data);
  if (options.contentMode === 'structured')
    return encodeStructured(topic, event, codec.format, value, options);
  const headers: Record<string, OutgoingHeaderValue | readonly OutgoingHeaderValue[]> = {
    [CloudEventHeader.specVersion]: cloudEventsSpecVersion,
    [CloudEventHeader.id]: event.id,
    [CloudEventHeader.source]: event.source,
    [CloudEventHeader.type]: event.type,
    [CloudEventHeader.time]: formatRfc3339(event.eventTime.getTime()),
    [CloudEventHeader.recordedTime]: formatRfc3339(event.producedAt.getTime()),
    [CloudEventHeader.schemaVersion]: String(event.version),
    [CloudEventHeader.contentType]: contentTypeFor(codec.format, schemaId !== undefined),
  };
  if (typeof event.key === 'string') headers[CloudEventHeader.partitionKey] = event.key;
  if (event.entityVersion !== undefined)
    headers[CloudEventHeader.entityVersion] = String(event.entityVersion);
  if (event.traceparent !== undefined) headers[CloudEventHeader.traceparent] = event.traceparent;
  if (event.tracestate !== undefined) headers[CloudEventHeader.tracestate] = event.tracestate;
  if (event.subject !== undefined) headers[CloudEventHeader.subject] = event.subject;
  // A framed value's schema is the one its id names, whatever the event said before.
  const dataSchema =
    schemaId !== undefined ? registryDataSchema(schemaId, options.schemaRegistryUrl) : event.dataSchema;
  if (dataSchema !== undefined) headers[CloudEventHeader.dataSchema] = dataSchema;
  const extensions = event.extensions;
  for (const name in extensions) {
    if (envelopeAttributeNames.has(name)) {
      throw encodeIssue(event, `(extensions)/${name}`, 'is an attribute the envelope owns');
    }
    headers[`${attributeHeaderPrefix}${name}`] = extensions[name] as string;
  }
  putApplicationHeaders(headers, event);
  const timestamp = options.recordTimestamp === 'producedAt' ? event.producedAt : event.eventTime;
  return {
    topic,
    key: entityKeyBytes(event.key, event.type),
    value,
    headers: headers as OutgoingHeaders,
    timestamp: timestamp.getTime(),
  };
}

// The attribute each `ce_` header carries, named as the JSON event format names it.
function attributeOf(header: string): string {
  return header.slice(attributeHeaderPrefix.length);
}

function encodeStructured<TData>(
  topic: string,
  event: InletEvent<TData>,
  format: PayloadCodec<TData>['format'],
  data: Buffer,
  options: EncodeEventOptions,
): OutgoingRecord {
  const schemaId = options.schemaId;
  const members: Record<string, string | number> = {
    specversion: cloudEventsSpecVersion,
    id: event.id,
    source: event.source,
    type: event.type,
    time: formatRfc3339(event.eventTime.getTime()),
    [attributeOf(CloudEventHeader.recordedTime)]: formatRfc3339(event.producedAt.getTime()),
    [attributeOf(CloudEventHeader.schemaVersion)]: event.version,
    datacontenttype: contentTypeFor(format, schemaId !== undefined),
  };
  if (typeof event.key === 'string') members[attributeOf(CloudEventHeader.partitionKey)] = event.key;
  if (event.entityVersion !== undefined)
    members[attributeOf(CloudEventHeader.entityVersion)] = event.entityVersion;
  if (event.traceparent !== undefined) members[attributeOf(CloudEventHeader.traceparent)] = event.traceparent;
  if (event.tracestate !== undefined) members[attributeOf(CloudEventHeader.tracestate)] = event.tracestate;
  if (event.subject !== undefined) members.subject = event.subject;
  const dataSchema =
    schemaId !== undefined ? registryDataSchema(schemaId, options.schemaRegistryUrl) : event.dataSchema;
  if (dataSchema !== undefined) members.dataschema = dataSchema;
  const extensions = event.extensions;
  for (const name in extensions) {
    if (envelopeAttributeNames.has(name) || name === 'data' || name === 'data_base64') {
      throw encodeIssue(event, `(extensions)/${name}`, 'is an attribute the envelope owns');
    }
    members[name] = extensions[name] as string;
  }
  const head = JSON.stringify(members);
  // JSON data goes in as the codec wrote it (valid JSON text), without parsing it back.
  const value =
    format === 'json' && schemaId === undefined
      ? Buffer.concat([Buffer.from(`${head.slice(0, -1)},"data":`, 'utf8'), data, closingBrace])
      : Buffer.from(`${head.slice(0, -1)},"data_base64":"${data.toString('base64')}"}`, 'utf8');
  const headers: Record<string, OutgoingHeaderValue | readonly OutgoingHeaderValue[]> = {
    [CloudEventHeader.contentType]: structuredContentType,
  };
  putApplicationHeaders(headers, event);
  const timestamp = options.recordTimestamp === 'producedAt' ? event.producedAt : event.eventTime;
  return {
    topic,
    key: entityKeyBytes(event.key, event.type),
    value,
    headers: headers as OutgoingHeaders,
    timestamp: timestamp.getTime(),
  };
}

const closingBrace = Buffer.from('}', 'utf8');

export interface DecodeEventOptions {
  /**
   * The writer's codec for a registry schema id; undefined when the registry does not know the
   * id (the consumer resolves ids asynchronously before decoding, see `schemaIdOf`). Leave the
   * option out when no schema registry is configured: a framed record then fails saying so.
   */
  readonly writerCodecForSchemaId?: (schemaId: number) => PayloadCodec<unknown> | undefined;
}

/** Where an event's data is and how it is typed, whichever content mode carried it. */
interface EventData {
  readonly source: StructuredData;
  /** The data's content type as written: `content-type` (binary) or `datacontenttype` (structured). */
  readonly contentType: string | undefined;
  /** How messages name the content type. */
  readonly contentTypeLabel: string;
}

interface ReadEnvelope {
  readonly attributes: RecordAttributes;
  readonly data: EventData;
  readonly headers: EventHeaders;
}

function readEnvelope(record: RawRecord): ReadEnvelope {
  const sorted = sortHeaders(record);
  if (sorted.contentType !== undefined && isStructuredContentType(sorted.contentType)) {
    if (!isJsonEventFormat(sorted.contentType)) {
      throw new InletDecodeError(
        InletErrorCode.unsupportedContentType,
        `content-type "${sorted.contentType}" is a CloudEvents event format Inlet does not read (it reads application/cloudevents+json)`,
        record,
      );
    }
    const structured = readStructuredEvent(record);
    return {
      attributes: structured.attributes,
      data: {
        source: structured.data,
        contentType: structured.dataContentType,
        contentTypeLabel: 'datacontenttype',
      },
      headers: sorted.applicationHeaders,
    };
  }
  if (record.value === null) {
    throw new InletDecodeError(InletErrorCode.truncated, 'record has no value (a tombstone?)', record);
  }
  return {
    attributes: binaryModeAttributes(record, sorted.attributeHeaders),
    data: {
      source: { kind: 'bytes', bytes: record.value },
      contentType: sorted.contentType,
      contentTypeLabel: 'content-type',
    },
    headers: sorted.applicationHeaders,
  };
}

function optionalAttribute(
  record: RawRecord,
  attributes: RecordAttributes,
  name: string,
): string | undefined {
  const value = attributes.values.get(name);
  if (value !== undefined && value.length === 0 && (name === 'subject' || name === 'dataschema')) {
    throw new InletDecodeError(
      InletErrorCode.malformedPayload,
      `${attributes.label(name)} is empty; CloudEvents requires a non-empty value when present`,
      record,
    );
  }
  return value;
}

function requiredAttribute(record: RawRecord, attributes: RecordAttributes, name: string): string {
  const value = attributes.values.get(name);
  if (value === undefined || value.length === 0) {
    throw new InletDecodeError(
      InletErrorCode.missingHeader,
      `required ${attributes.label(name)} is missing`,
      record,
    );
  }
  return value;
}

function parseTime(record: RawRecord, label: string, text: string): Date {
  const millis = parseRfc3339(text);
  if (Number.isNaN(millis)) {
    throw new InletDecodeError(
      InletErrorCode.malformedPayload,
      `${label} "${text}" is not an RFC 3339 time`,
      record,
    );
  }
  return new Date(millis);
}

function parseNonNegativeInteger(record: RawRecord, label: string, text: string): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new InletDecodeError(
      InletErrorCode.malformedPayload,
      `${label} "${text}" is not an integer`,
      record,
    );
  }
  return value;
}

function framedSchemaId(contentType: string | undefined, bytes: Buffer): number | undefined {
  const parsed = contentType === undefined ? undefined : parseContentType(contentType);
  if (!parsed?.registryFramed) return undefined;
  // What unframeConfluent reads, without making the payload's view: this runs for every record.
  return bytes.length >= confluentHeaderLength && bytes[0] === confluentMagicByte
    ? bytes.readUInt32BE(1)
    : undefined;
}

/**
 * The registry schema id of a Confluent-framed record value (or, in structured mode, of its
 * `data_base64`), when it has one. Never throws: a record that cannot be read has no id.
 */
export function schemaIdOf(record: RawRecord): number | undefined {
  // Called for every record before it is decoded: only the content type is read, not every header.
  const contentType = onlyContentType(record);
  if (contentType === null) return undefined;
  try {
    if (contentType !== undefined && isStructuredContentType(contentType)) {
      if (!isJsonEventFormat(contentType)) return undefined;
      const { data, dataContentType } = readStructuredEvent(record);
      return data.kind === 'bytes' ? framedSchemaId(dataContentType, data.bytes) : undefined;
    }
  } catch {
    return undefined; // decoding will say what is wrong with it
  }
  return record.value === null ? undefined : framedSchemaId(contentType, record.value);
}

/** The record's content type; null when it has several, one with no value, or one that is not UTF-8. */
function onlyContentType(record: RawRecord): string | undefined | null {
  let found: Buffer | undefined;
  for (const { name, value } of record.headerList) {
    if (
      name.length !== CloudEventHeader.contentType.length ||
      name.toLowerCase() !== CloudEventHeader.contentType
    ) {
      continue;
    }
    if (found !== undefined || value === null) return null;
    found = value;
  }
  if (found === undefined) return undefined;
  try {
    return contentTypeText(found);
  } catch {
    return null;
  }
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

/** The entity key is the record key, read from its bytes alone, whoever produced the record. */
function decodeKey(record: RawRecord, attributes: RecordAttributes): EntityKey {
  if (record.key === null || record.key.length === 0) {
    throw new InletDecodeError(InletErrorCode.invalidKey, 'record has no entity key', record);
  }
  const key = entityKeyFromBytes(record.key);
  const partitionKey = attributes.values.get('partitionkey');
  // Inlet writes the key there; a different one means the writer meant another entity.
  if (partitionKey !== undefined && partitionKey !== key) {
    const keyText =
      typeof key === 'string' ? JSON.stringify(key) : `bytes ${Buffer.from(key).toString('hex')}`;
    throw new InletDecodeError(
      InletErrorCode.invalidKey,
      `${attributes.label('partitionkey')} ${JSON.stringify(partitionKey)} is not the record key ${keyText}`,
      record,
    );
  }
  return key;
}

function unsupported(record: RawRecord, message: string): InletDecodeError {
  return new InletDecodeError(InletErrorCode.unsupportedContentType, message, record);
}

function checkData(record: RawRecord, definition: AnyEventDefinition, data: unknown) {
  const checked = definition.check(data);
  if (!checked.ok) {
    throw new InletDecodeError(
      InletErrorCode.validationFailed,
      `"${definition.type}" data fails its schema: ${checked.issues
        .slice(0, 3)
        .map((issue: ValidationIssue) => `${issue.path || '(root)'} ${issue.message}`)
        .join('; ')}`,
      record,
      { issues: checked.issues },
    );
  }
  return checked.value;
}

// Structured mode's `data` member holds JSON data as a JSON value, already parsed.
function decodeJsonValue(record: RawRecord, definition: AnyEventDefinition, data: EventData, value: unknown) {
  const { contentType } = data;
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw unsupported(
      record,
      `datacontenttype "${contentType}" is not JSON, and Inlet reads only JSON data in the data member`,
    );
  }
  if (contentType !== undefined && parseContentType(contentType)?.registryFramed) {
    throw unsupported(
      record,
      `datacontenttype "${contentType}" says wire=confluent, but a JSON value in data cannot be framed`,
    );
  }
  if (definition.codec.format !== 'json') {
    throw unsupported(
      record,
      `JSON data does not match the ${definition.codec.format} schema of "${definition.type}"`,
    );
  }
  return value;
}

function decodeBytes(
  record: RawRecord,
  definition: AnyEventDefinition,
  version: number | undefined,
  data: EventData,
  bytes: Buffer,
  options: DecodeEventOptions,
): unknown {
  const { contentType: text, contentTypeLabel } = data;
  const contentType: ParsedContentType | undefined =
    text === undefined ? { format: definition.codec.format, registryFramed: false } : parseContentType(text);
  if (contentType === undefined)
    throw unsupported(record, `${contentTypeLabel} "${text}" is not one Inlet reads`);
  if (contentType.format !== definition.codec.format) {
    throw unsupported(
      record,
      `${contentTypeLabel} "${text}" does not match the ${definition.codec.format} schema of "${definition.type}"`,
    );
  }
  let payload = bytes;
  let writer: PayloadCodec<unknown> | undefined;
  if (contentType.registryFramed) {
    const unframed = unframeConfluent(bytes);
    if (!unframed.ok) {
      const code = unframed.reason === 'truncated' ? InletErrorCode.truncated : InletErrorCode.badMagicByte;
      throw new InletDecodeError(code, unframed.message, record);
    }
    payload = unframed.payload;
    if (options.writerCodecForSchemaId === undefined) {
      throw new InletDecodeError(
        InletErrorCode.unknownSchemaId,
        `the value is framed for a schema registry (schema id ${unframed.schemaId}), but no schema registry is configured to read it`,
        record,
      );
    }
    writer = options.writerCodecForSchemaId(unframed.schemaId);
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
 * The entity version: what the definition reads from the data, the one way whoever produced it;
 * the `entityversion` attribute only when the definition has no such rule. An attribute that
 * disagrees with the data is refused rather than one of them believed.
 */
function entityVersionOf(
  record: RawRecord,
  definition: AnyEventDefinition,
  data: unknown,
  attributes: RecordAttributes,
): number | undefined {
  const text = attributes.values.get('entityversion');
  const written =
    text === undefined ? undefined : parseNonNegativeInteger(record, attributes.label('entityversion'), text);
  let fromData: number | undefined;
  try {
    fromData = definition.entityVersionOf(data);
  } catch (cause) {
    const issues = cause instanceof InletValidationError ? cause.issues : [];
    throw new InletDecodeError(
      InletErrorCode.validationFailed,
      `"${definition.type}" data has no valid entity version: ${(cause as Error).message}`,
      record,
      { cause, issues },
    );
  }
  if (fromData === undefined) return written;
  if (written !== undefined && written !== fromData) {
    throw new InletDecodeError(
      InletErrorCode.malformedPayload,
      `${attributes.label('entityversion')} ${written} is not the entity version ${fromData} of the data`,
      record,
    );
  }
  return fromData;
}

const noExtensions: Readonly<Record<string, string>> = Object.freeze({});

function extensionsOf(attributes: RecordAttributes): Readonly<Record<string, string>> {
  let extensions: Record<string, string> | undefined;
  for (const [name, value] of attributes.values) {
    if (envelopeAttributeNames.has(name)) continue;
    extensions ??= {};
    extensions[name] = value;
  }
  return extensions === undefined ? noExtensions : Object.freeze(extensions);
}

/**
 * Decodes a record into an event, strictly. Reads both CloudEvents content modes: binary (`ce_`
 * headers, the data as the value) and structured (`content-type: application/cloudevents+json`,
 * the whole event as the value). Every problem (missing, repeated or malformed attributes, a type
 * with no definition, bad framing, an unknown schema id, malformed or invalid data) is an
 * {@link InletDecodeError} with a stable code and the untouched record. Never a silent default.
 */
export function decodeEventRecord(
  record: RawRecord,
  topic: TopicDefinition,
  options: DecodeEventOptions = {},
): InletEvent {
  const { attributes, data: eventData, headers } = readEnvelope(record);
  const specVersion = requiredAttribute(record, attributes, 'specversion');
  if (specVersion !== cloudEventsSpecVersion) {
    throw unsupported(record, `CloudEvents spec version "${specVersion}" is not 1.0`);
  }
  const id = requiredAttribute(record, attributes, 'id');
  const type = requiredAttribute(record, attributes, 'type');
  const source = requiredAttribute(record, attributes, 'source');
  const eventTime = parseTime(
    record,
    attributes.label('time'),
    requiredAttribute(record, attributes, 'time'),
  );
  const versionText = attributes.values.get('schemaversion');
  const version =
    versionText === undefined
      ? undefined
      : parseNonNegativeInteger(record, attributes.label('schemaversion'), versionText);
  const definition = pickDefinition(record, topic, type, version);
  const raw =
    eventData.source.kind === 'json'
      ? decodeJsonValue(record, definition, eventData, eventData.source.value)
      : decodeBytes(record, definition, version, eventData, eventData.source.bytes, options);
  const data = checkData(record, definition, raw);
  const recordedTimeText = attributes.values.get('recordedtime');
  const producedAt =
    recordedTimeText === undefined
      ? new Date(record.timestamp)
      : parseTime(record, attributes.label('recordedtime'), recordedTimeText);
  const traceparent = attributes.values.get('traceparent');
  const tracestate = attributes.values.get('tracestate');
  const entityVersion = entityVersionOf(record, definition, data, attributes);
  const subject = optionalAttribute(record, attributes, 'subject');
  const dataSchema = optionalAttribute(record, attributes, 'dataschema');
  // Built in steps rather than with spreads of optional parts (this runs for every record); the
  // properties keep their order.
  const event: { -readonly [K in keyof InletEvent]: InletEvent[K] } = {
    id,
    type,
    version: version ?? definition.version,
    key: decodeKey(record, attributes),
    eventTime,
    producedAt,
    source,
  } as InletEvent;
  // W3C trace context: a traceparent that does not parse is ignored, not an error.
  if (traceparent !== undefined && isValidTraceparent(traceparent)) event.traceparent = traceparent;
  if (tracestate !== undefined) event.tracestate = tracestate;
  if (entityVersion !== undefined) event.entityVersion = entityVersion;
  if (subject !== undefined) event.subject = subject;
  if (dataSchema !== undefined) event.dataSchema = dataSchema;
  event.extensions = extensionsOf(attributes);
  event.headers = headers;
  event.data = data;
  return event;
}
