import { InletDecodeError, InletErrorCode, type RawRecord } from '../errors';
import type { RecordAttributes } from './binary-mode';
import { isAttributeName } from './cloudevents';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Where the data of a structured-mode event is: base64 bytes, or a JSON value. */
export type StructuredData =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'json'; readonly value: unknown };

export interface StructuredEvent {
  readonly attributes: RecordAttributes;
  /** `datacontenttype`, when given. */
  readonly dataContentType: string | undefined;
  readonly data: StructuredData;
}

// Attributes CloudEvents types as String, URI, URI-reference or Timestamp: JSON strings only.
const textAttributes: ReadonlySet<string> = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'dataschema',
  'datacontenttype',
  'partitionkey',
  'recordedtime',
  'traceparent',
  'tracestate',
]);

function malformed(record: RawRecord, message: string, cause?: unknown): InletDecodeError {
  return new InletDecodeError(
    InletErrorCode.malformedPayload,
    `structured CloudEvent: ${message}`,
    record,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The first member name the top-level object of valid JSON text has twice. JSON.parse keeps the
 * last one silently; an event whose `id` could be either is refused instead.
 */
export function repeatedTopLevelMember(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectName = false;
  const structuralToken = /["{}[\],]/g;
  for (let match = structuralToken.exec(text); match !== null; match = structuralToken.exec(text)) {
    const token = match[0];
    if (token === '"') {
      let end = text.indexOf('"', match.index + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (depth === 1 && expectName) {
        const name = JSON.parse(text.slice(match.index, end + 1)) as string;
        if (seen.has(name)) return name;
        seen.add(name);
        expectName = false;
      }
      structuralToken.lastIndex = end + 1;
    } else if (token === '{' || token === '[') {
      depth += 1;
      if (depth === 1) expectName = true;
    } else if (token === '}' || token === ']') {
      depth -= 1;
    } else if (depth === 1) {
      expectName = true;
    }
  }
  return undefined;
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let index = quote - 1; text.charCodeAt(index) === 92; index -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}

function parseEnvelope(record: RawRecord, value: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = strictUtf8.decode(value);
  } catch (cause) {
    throw malformed(record, 'the value is not valid UTF-8', cause);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw malformed(record, `the value is not valid JSON: ${(cause as Error).message}`, cause);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed(record, 'the value is not a JSON object');
  }
  const repeated = repeatedTopLevelMember(text);
  if (repeated !== undefined) {
    throw malformed(record, `member ${JSON.stringify(repeated)} occurs more than once`);
  }
  return parsed as Record<string, unknown>;
}

// The canonical string of a CloudEvents Integer or Boolean, as binary mode would carry it.
function attributeText(record: RawRecord, name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (!textAttributes.has(name)) {
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  }
  const expected = textAttributes.has(name) ? 'a string' : 'a string, an integer or a boolean';
  throw malformed(
    record,
    `attribute ${JSON.stringify(name)} must be ${expected}, found ${JSON.stringify(value)}`,
  );
}

const strictBase64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Bytes(record: RawRecord, value: unknown): Buffer {
  if (typeof value === 'string' && strictBase64.test(value) && value.length % 4 === 0) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.toString('base64') === value) return bytes;
  }
  throw malformed(record, 'data_base64 is not base64');
}

/**
 * Reads a structured-mode record: the value is a CloudEvent in the JSON event format. Attributes
 * come from its members (`null` meaning unset, as the format says), extensions as text; `ce_`
 * headers the record may also carry are ignored, as the binding allows them as a copy.
 */
export function readStructuredEvent(record: RawRecord): StructuredEvent {
  if (record.value === null) {
    throw new InletDecodeError(InletErrorCode.truncated, 'record has no value (a tombstone?)', record);
  }
  const envelope = parseEnvelope(record, record.value);
  const values = new Map<string, string>();
  let data: StructuredData | undefined;
  for (const name of Object.keys(envelope)) {
    const value = envelope[name];
    if (value === null || value === undefined) continue;
    if (name === 'data' || name === 'data_base64') {
      if (data !== undefined) throw malformed(record, 'has both data and data_base64');
      data = name === 'data' ? { kind: 'json', value } : { kind: 'bytes', bytes: base64Bytes(record, value) };
      continue;
    }
    if (!isAttributeName(name)) {
      throw malformed(
        record,
        `member ${JSON.stringify(name)} is not a CloudEvents attribute name (lower-case letters or digits)`,
      );
    }
    values.set(name, attributeText(record, name, value));
  }
  if (data === undefined) throw malformed(record, 'has no data (neither data nor data_base64)');
  const dataContentType = values.get('datacontenttype');
  values.delete('datacontenttype');
  return {
    attributes: { values, label: (name) => `attribute "${name}"` },
    dataContentType,
    data,
  };
}
