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
  'application/cloudevents+json': 'json',
  'application/avro': 'avro',
  'avro/binary': 'avro',
  'application/vnd.apache.avro+binary': 'avro',
};

/** Parses a content type Inlet understands; undefined for anything else. */
export function parseContentType(contentType: string): ParsedContentType | undefined {
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const format = mediaTypes[mediaType];
  if (format === undefined) return undefined;
  return { format, registryFramed: parameters.includes('wire=confluent') };
}

/** W3C trace context `traceparent`: version-traceid-parentid-flags, ids not all zero. */
export function isValidTraceparent(value: string): boolean {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value);
  return match !== null && match[1] !== 'ff' && !/^0+$/.test(match[2] ?? '') && !/^0+$/.test(match[3] ?? '');
}
