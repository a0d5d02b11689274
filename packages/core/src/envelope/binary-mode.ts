import { InletDecodeError, InletErrorCode, type RawRecord, type RecordHeader } from '../errors';
import { attributeHeaderPrefix, CloudEventHeader, isAttributeName } from './cloudevents';
import type { EventHeaders, EventHeaderValue } from './inlet-event';

// ignoreBOM: a leading U+FEFF is part of the text, not a marker to drop.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** CloudEvents attributes of a record as text, by attribute name, before they are checked. */
export interface RecordAttributes {
  readonly values: ReadonlyMap<string, string>;
  /** How an error message names an attribute: `header ce_id` (binary) or `attribute "id"` (structured). */
  label(name: string): string;
}

/** A record's headers sorted by role; nothing is checked yet but the content type. */
export interface SortedHeaders {
  /** The `content-type` header (matched case-insensitively), when there is one. */
  readonly contentType: string | undefined;
  /** The `ce_*` headers: attributes in binary mode, ignored in structured mode. */
  readonly attributeHeaders: readonly RecordHeader[];
  /** Every other header, as the event carries it. */
  readonly applicationHeaders: EventHeaders;
}

function malformed(record: RawRecord, message: string, cause?: unknown): InletDecodeError {
  return new InletDecodeError(
    InletErrorCode.malformedPayload,
    message,
    record,
    cause === undefined ? {} : { cause },
  );
}

/** A header's value as text; a header with no value or bytes that are not UTF-8 is an error naming it. */
function headerText(record: RawRecord, header: RecordHeader): string {
  if (header.value === null) throw malformed(record, `header ${header.name} has no value`);
  try {
    return strictUtf8.decode(header.value);
  } catch (cause) {
    throw malformed(record, `header ${header.name} is not valid UTF-8`, cause);
  }
}

function applicationValue(value: Buffer | null): EventHeaderValue {
  if (value === null) return null;
  try {
    return strictUtf8.decode(value);
  } catch {
    return value;
  }
}

function defineValue(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: false, configurable: false });
}

function toEventHeaders(byName: ReadonlyMap<string, EventHeaderValue[]>): EventHeaders {
  const headers: Record<string, EventHeaderValue | readonly EventHeaderValue[]> = {};
  for (const [name, values] of byName) {
    defineValue(headers, name, values.length === 1 ? values[0] : Object.freeze(values));
  }
  return Object.freeze(headers);
}

const noApplicationHeaders: EventHeaders = Object.freeze({});

/** Sorts a record's headers into content type, attribute headers and application headers. */
export function sortHeaders(record: RawRecord): SortedHeaders {
  let contentType: RecordHeader | undefined;
  const attributeHeaders: RecordHeader[] = [];
  let application: Map<string, EventHeaderValue[]> | undefined;
  for (const header of record.headerList) {
    const lower = header.name.toLowerCase();
    if (lower === CloudEventHeader.contentType) {
      // Two content types (even spelled differently) leave the mode and the format unknown.
      if (contentType !== undefined) {
        throw malformed(record, `header ${CloudEventHeader.contentType} occurs more than once`);
      }
      contentType = header;
    } else if (lower.startsWith(attributeHeaderPrefix)) {
      attributeHeaders.push(header);
    } else {
      application ??= new Map();
      const values = application.get(header.name);
      if (values === undefined) application.set(header.name, [applicationValue(header.value)]);
      else values.push(applicationValue(header.value));
    }
  }
  return {
    contentType: contentType === undefined ? undefined : headerText(record, contentType),
    attributeHeaders,
    applicationHeaders: application === undefined ? noApplicationHeaders : toEventHeaders(application),
  };
}

// Attributes binary mode carries elsewhere: the data is the value, its type the content-type.
const notAttributeHeaders: ReadonlySet<string> = new Set(['ce_data', 'ce_datacontenttype']);

/**
 * The attributes of a binary-mode record, from its `ce_*` headers. The binding says header names
 * and values are UTF-8; a header with no value, bytes that are not UTF-8, a name that is not
 * `ce_` and an attribute name, or a name given twice is an error naming the header, never a guess.
 */
export function binaryModeAttributes(
  record: RawRecord,
  attributeHeaders: readonly RecordHeader[],
): RecordAttributes {
  const values = new Map<string, string>();
  for (const header of attributeHeaders) {
    const attribute = header.name.slice(attributeHeaderPrefix.length);
    if (!header.name.startsWith(attributeHeaderPrefix) || !isAttributeName(attribute)) {
      throw malformed(
        record,
        `header ${header.name} is not a CloudEvents attribute header (ce_ and lower-case letters or digits)`,
      );
    }
    if (notAttributeHeaders.has(header.name)) {
      throw malformed(
        record,
        `header ${header.name} is not allowed in binary mode, which carries it as the record value or content-type`,
      );
    }
    if (values.has(attribute)) throw malformed(record, `header ${header.name} occurs more than once`);
    values.set(attribute, headerText(record, header));
  }
  return { values, label: (name) => `header ${attributeHeaderPrefix}${name}` };
}
