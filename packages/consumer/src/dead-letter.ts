import type {
  IncomingRecord,
  InletError,
  OutgoingHeaderValue,
  OutgoingRecord,
  RecordHeader,
} from '@inlet/core';

/** Headers a dead-lettered record carries besides the original ones. */
export const DeadLetterHeader = {
  errorCode: 'inlet-dlq-error-code',
  errorMessage: 'inlet-dlq-error-message',
  attempts: 'inlet-dlq-attempts',
  sourceTopic: 'inlet-dlq-source-topic',
  sourcePartition: 'inlet-dlq-source-partition',
  sourceOffset: 'inlet-dlq-source-offset',
  consumerGroup: 'inlet-dlq-consumer-group',
  failedAt: 'inlet-dlq-failed-at',
  /** Present when tagged fields of the value were redacted: such a copy cannot be redriven as is. */
  redacted: 'inlet-dlq-redacted',
  /**
   * Present when the value was cut to make the letter fit: the value's original size in bytes.
   * The letter keeps the first bytes of the value only, and cannot be redriven.
   */
  valueTruncated: 'inlet-dlq-value-truncated',
  /** Present when even the original headers did not fit: how many were left out. */
  headersDropped: 'inlet-dlq-headers-dropped',
  /**
   * The names (a JSON array) of original headers that had no value. Kafka allows such headers,
   * but kafkajs cannot write them: the letter carries them with an empty value instead.
   */
  nullHeaders: 'inlet-dlq-null-headers',
} as const;

const deadLetterHeaderNames = new Set<string>(Object.values(DeadLetterHeader));

export function isDeadLetterHeader(name: string): boolean {
  return deadLetterHeaderNames.has(name);
}

export interface DeadLetterDetails {
  readonly deadLetterTopic: string;
  readonly groupId: string;
  readonly error: InletError;
  readonly attempts: number;
  /** A replacement value (redacted), or undefined to keep the original bytes. */
  readonly redactedValue?: Buffer;
  /**
   * The text of the error-message header: default the error's message with credentials
   * masked; `false` for none.
   */
  readonly errorMessage?: string | false;
  /** The largest letter, counting key, value and headers. Default 1 000 000. */
  readonly maxRecordBytes?: number;
}

// What a record costs on the wire beyond its key, value and header bytes (lengths, attributes,
// offsets and timestamps as varints), with room to spare.
const recordOverheadBytes = 64;
const headerOverheadBytes = 10;
const maxErrorMessageLength = 2_000;

// A URL's password, and values of key=value / key: value pairs whose key names a secret.
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;
const secretPairs =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;
const bearer = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi;

/** An error message fit to leave the process: passwords in URLs and secret-named values masked. */
export function maskCredentials(text: string): string {
  return text.replace(urlCredentials, '$1:***@').replace(secretPairs, '$1$2***').replace(bearer, '$1 ***');
}

/**
 * Text a header can carry, at most `maxBytes` of UTF-8 and cut between characters: a lone
 * surrogate (which UTF-8 cannot carry, and a send refuses) becomes U+FFFD.
 */
function headerText(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.max(0, Math.min(bytes.length, maxBytes));
  while (end > 0 && end < bytes.length && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/** The first `maxLength` UTF-16 units of `text`, without leaving half of a surrogate pair. */
function leading(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const cut = text.charCodeAt(maxLength - 1);
  return text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? maxLength - 1 : maxLength);
}

function byteLength(value: OutgoingHeaderValue): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** The original headers, each name once with its values in order; null values as empty ones. */
function copiedHeaders(headerList: readonly RecordHeader[]): {
  headers: Record<string, OutgoingHeaderValue[]>;
  nullNames: string[];
  bytes: number;
  count: number;
} {
  const headers: Record<string, OutgoingHeaderValue[]> = Object.create(null);
  const nullNames: string[] = [];
  let bytes = 0;
  let count = 0;
  for (const { name, value } of headerList) {
    if (isDeadLetterHeader(name)) continue;
    if (value === null && !nullNames.includes(name)) nullNames.push(name);
    const copy = value ?? Buffer.alloc(0);
    const values = headers[name];
    if (values === undefined) headers[name] = [copy];
    else values.push(copy);
    bytes += Buffer.byteLength(name) + copy.length + headerOverheadBytes;
    count += 1;
  }
  return { headers, nullNames, bytes, count };
}

/**
 * The dead-letter record for a record that could not be handled: the original key, value and
 * headers, plus why it failed and where it came from. It is always writable: headers with no
 * value are written empty (and named in `inlet-dlq-null-headers`), and a letter larger than
 * `maxRecordBytes` keeps a truncated value (`inlet-dlq-value-truncated` gives the original size),
 * or, should the original headers alone not fit, leaves them out (`inlet-dlq-headers-dropped`).
 */
export function deadLetterRecord(record: IncomingRecord, details: DeadLetterDetails): OutgoingRecord {
  const maxRecordBytes = details.maxRecordBytes ?? 1_000_000;
  const own: Record<string, string> = {
    [DeadLetterHeader.errorCode]: details.error.code,
    [DeadLetterHeader.attempts]: String(details.attempts),
    [DeadLetterHeader.sourceTopic]: record.topic,
    [DeadLetterHeader.sourcePartition]: String(record.partition),
    [DeadLetterHeader.sourceOffset]: record.offset,
    [DeadLetterHeader.consumerGroup]: details.groupId,
    [DeadLetterHeader.failedAt]: new Date().toISOString(),
  };
  const errorMessage =
    details.errorMessage === undefined ? maskCredentials(details.error.message) : details.errorMessage;
  if (errorMessage !== false)
    own[DeadLetterHeader.errorMessage] = headerText(leading(errorMessage, maxErrorMessageLength), Infinity);
  if (details.redactedValue !== undefined) {
    own[DeadLetterHeader.redacted] = 'true';
    own['content-type'] = 'application/json';
  }
  // Records built by hand (tests, tools) may lack the list; the map then stands in for it.
  const original = copiedHeaders(
    record.headerList ?? Object.entries(record.headers).map(([name, header]) => ({ name, value: header })),
  );
  if (original.nullNames.length > 0) own[DeadLetterHeader.nullHeaders] = JSON.stringify(original.nullNames);

  const value = details.redactedValue ?? record.value;
  const keyBytes = record.key?.length ?? 0;
  const ownBytes = () =>
    Object.entries(own).reduce(
      (sum, [name, text]) => sum + Buffer.byteLength(name) + byteLength(text) + headerOverheadBytes,
      0,
    );
  let headers: Record<string, OutgoingHeaderValue | OutgoingHeaderValue[]> = { ...original.headers, ...own };
  let originalBytes = original.bytes;
  const roomLeft = () => maxRecordBytes - recordOverheadBytes - keyBytes - originalBytes - ownBytes();
  let room = roomLeft();
  if (room < 0) {
    // The original headers alone do not fit: keep Inlet's own, which say what happened.
    own[DeadLetterHeader.headersDropped] = String(original.count);
    delete own[DeadLetterHeader.nullHeaders];
    headers = { ...own };
    originalBytes = 0;
    room = roomLeft();
  }
  // What saying that the value was cut costs, should it have to be.
  const truncatedHeaderBytes = Buffer.byteLength(DeadLetterHeader.valueTruncated) + 20 + headerOverheadBytes;
  // The least room the value needs: itself, or, cut, the header saying so.
  const valueNeeds = Math.min(value?.length ?? 0, truncatedHeaderBytes);
  const message = own[DeadLetterHeader.errorMessage];
  if (room < valueNeeds && message !== undefined) {
    // Not even Inlet's own headers fit (a long message, a small limit): the message gives way.
    const shortened = headerText(message, Buffer.byteLength(message) + room - valueNeeds);
    own[DeadLetterHeader.errorMessage] = shortened;
    headers[DeadLetterHeader.errorMessage] = shortened;
    room = roomLeft();
  }
  let letterValue = value;
  if (value !== null && value.length > Math.max(0, room)) {
    const originalSize = String(value.length);
    own[DeadLetterHeader.valueTruncated] = originalSize;
    headers[DeadLetterHeader.valueTruncated] = originalSize;
    // The header just added costs a little room too.
    const cut = Math.max(0, room - truncatedHeaderBytes);
    letterValue = value.subarray(0, cut);
  }
  return {
    topic: details.deadLetterTopic,
    key: record.key,
    value: letterValue,
    headers,
    timestamp: record.timestamp,
  };
}
