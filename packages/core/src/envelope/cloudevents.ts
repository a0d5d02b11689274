import type { PayloadFormat } from '../codecs/payload-codec';

/**
 * Header names of the CloudEvents Kafka protocol binding (binary content mode), plus the
 * documented CloudEvents extensions Inlet uses.
 */
export const CloudEventHeader = {
  specVersion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  /** Event time (when it happened), RFC 3339. */
  time: 'ce_time',
  /** What the event is about, within its source. */
  subject: 'ce_subject',
  /** A URI naming the schema of the data; for a registry-framed value, its schema id. */
  dataSchema: 'ce_dataschema',
  contentType: 'content-type',
  /** Partitioning extension: the entity key, when it is a string. */
  partitionKey: 'ce_partitionkey',
  /** Recorded-time extension: when the producer stamped the event. */
  recordedTime: 'ce_recordedtime',
  /** Distributed-tracing extension. */
  traceparent: 'ce_traceparent',
  tracestate: 'ce_tracestate',
  /** Inlet extension: the schema version of the data. */
  schemaVersion: 'ce_schemaversion',
  /** Inlet extension: the entity's own version / sequence. */
  entityVersion: 'ce_entityversion',
} as const;

export const cloudEventsSpecVersion = '1.0';

/** The prefix of every attribute header in binary content mode. */
export const attributeHeaderPrefix = 'ce_';

/**
 * Attribute names the envelope owns: the CloudEvents context attributes, `data`, and the
 * extensions Inlet maps to fields of the event. Every other attribute is an extension kept in
 * `event.extensions`.
 */
export const envelopeAttributeNames: ReadonlySet<string> = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'dataschema',
  'datacontenttype',
  'data',
  'partitionkey',
  'recordedtime',
  'traceparent',
  'tracestate',
  'schemaversion',
  'entityversion',
]);

/** CloudEvents attribute names: lower-case ASCII letters and digits. */
export function isAttributeName(name: string): boolean {
  return /^[a-z0-9]+$/.test(name);
}

/** Header names owned by the envelope: application headers must not use them. */
export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(attributeHeaderPrefix) || lower === CloudEventHeader.contentType;
}

/** The `content-type` Inlet writes: the format, and `wire=confluent` when registry-framed. */
export function contentTypeFor(format: PayloadFormat, registryFramed: boolean): string {
  const base = format === 'json' ? 'application/json' : 'application/avro';
  return registryFramed ? `${base}; wire=confluent` : base;
}

export interface ParsedContentType {
  readonly format: PayloadFormat;
  readonly registryFramed: boolean;
}

const mediaTypes: Readonly<Record<string, PayloadFormat>> = {
  'application/json': 'json',
  'application/avro': 'avro',
  'avro/binary': 'avro',
  'application/vnd.apache.avro+binary': 'avro',
};

interface MediaType {
  readonly type: string;
  readonly parameters: readonly string[];
}

function splitMediaType(contentType: string): MediaType {
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  return { type, parameters: parameters.map((parameter) => parameter.replace(/\s*=\s*/, '=')) };
}

// Inlet reads text as UTF-8 only; a value declared in another charset would be misread.
function hasForeignCharset(parameters: readonly string[]): boolean {
  return parameters.some((parameter) => {
    if (!parameter.startsWith('charset=')) return false;
    const charset = parameter.slice('charset='.length).replace(/^"(.*)"$/, '$1');
    return charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii';
  });
}

/** True for a structured-mode record: its content type is a CloudEvents event format. */
export function isStructuredContentType(contentType: string): boolean {
  return contentType.trimStart().toLowerCase().startsWith('application/cloudevents');
}

/** True when the content type is the CloudEvents JSON event format, the one Inlet reads. */
export function isJsonEventFormat(contentType: string): boolean {
  const { type, parameters } = splitMediaType(contentType);
  return type === 'application/cloudevents+json' && !hasForeignCharset(parameters);
}

/** True when data of this type is JSON (`*\/json` or `*\/*+json`), as the JSON event format defines it. */
export function isJsonMediaType(contentType: string): boolean {
  const { type } = splitMediaType(contentType);
  const subtype = type.slice(type.indexOf('/') + 1);
  return type.includes('/') && (subtype === 'json' || subtype.endsWith('+json'));
}

// A topic's records carry a handful of content types, read for every record: each is parsed once
// (and the cache starts over should records bring many different ones).
const parsedContentTypes = new Map<string, ParsedContentType | null>();
const parsedContentTypesKept = 256;

/** Parses a data content type Inlet understands; undefined for anything else. */
export function parseContentType(contentType: string): ParsedContentType | undefined {
  const known = parsedContentTypes.get(contentType);
  if (known !== undefined) return known ?? undefined;
  const parsed = parseUncachedContentType(contentType);
  if (parsedContentTypes.size >= parsedContentTypesKept) parsedContentTypes.clear();
  parsedContentTypes.set(contentType, parsed === undefined ? null : Object.freeze(parsed));
  return parsed;
}

function parseUncachedContentType(contentType: string): ParsedContentType | undefined {
  const { type, parameters } = splitMediaType(contentType);
  if (hasForeignCharset(parameters)) return undefined;
  const format =
    mediaTypes[type] ?? (isJsonMediaType(type) && !isStructuredContentType(type) ? 'json' : undefined);
  if (format === undefined) return undefined;
  return { format, registryFramed: parameters.includes('wire=confluent') };
}

/** W3C trace context `traceparent`: version-traceid-parentid-flags, ids not all zero. */
export function isValidTraceparent(value: string): boolean {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value);
  return match !== null && match[1] !== 'ff' && !/^0+$/.test(match[2] ?? '') && !/^0+$/.test(match[3] ?? '');
}

/**
 * The `dataschema` of a registry-framed value: the registry's URL for the schema id, without any
 * credentials in it, or a URN naming the id when the registry's URL is not known.
 */
export function registryDataSchema(schemaId: number, registryUrl?: string): string {
  if (registryUrl === undefined) return `urn:inlet:schema-registry:id:${schemaId}`;
  const base = registryUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1').replace(/\/+$/, '');
  return `${base}/schemas/ids/${schemaId}`;
}
