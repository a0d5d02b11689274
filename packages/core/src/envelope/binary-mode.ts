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

function contentTypeOf(record: RawRecord, header: RecordHeader, value: Buffer): string {
  try {
    return contentTypeText(value);
  } catch {
    return headerText(record, header);
  }
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

// A topic's records repeat their content type: the last one decoded is kept, by its bytes (a
// copy: a received header can be a view into a whole fetch response).
let lastContentType: { readonly bytes: Buffer; readonly text: string } | undefined;

/** The text of a content-type header's bytes; throws if they are not UTF-8. */
export function contentTypeText(bytes: Buffer): string {
  if (lastContentType?.bytes.equals(bytes)) return lastContentType.text;
  const text = strictUtf8.decode(bytes);
  lastContentType = { bytes: Buffer.from(bytes), text };
  return text;
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

type HeaderRole = 'content-type' | 'attribute' | 'application';

/**
 * What a header name is, by name: a topic's records repeat a few header names, and this runs for
 * every header of every record (the cache starts over should records bring many names).
 */
const headerRoles = new Map<string, HeaderRole>();
const headerNamesKept = 1024;

function headerRole(name: string): HeaderRole {
  let role = headerRoles.get(name);
  if (role === undefined) {
    const lower = name.toLowerCase();
    role =
      lower === CloudEventHeader.contentType
        ? 'content-type'
        : lower.startsWith(attributeHeaderPrefix)
          ? 'attribute'
          : 'application';
    if (headerRoles.size >= headerNamesKept) headerRoles.clear();
    headerRoles.set(name, role);
  }
  return role;
}

/** Sorts a record's headers into content type, attribute headers and application headers. */
export function sortHeaders(record: RawRecord): SortedHeaders {
  let contentType: RecordHeader | undefined;
  const attributeHeaders: RecordHeader[] = [];
  let application: Map<string, EventHeaderValue[]> | undefined;
  for (const header of record.headerList) {
    const role = headerRole(header.name);
    if (role === 'content-type') {
      // Two content types (even spelled differently) leave the mode and the format unknown.
      if (contentType !== undefined) {
        throw malformed(record, `header ${CloudEventHeader.contentType} occurs more than once`);
      }
      contentType = header;
    } else if (role === 'attribute') {
      attributeHeaders.push(header);
    } else {
      application ??= new Map();
      const values = application.get(header.name);
      if (values === undefined) application.set(header.name, [applicationValue(header.value)]);
      else values.push(applicationValue(header.value));
    }
  }
  return {
    contentType:
      contentType === undefined
        ? undefined
        : contentType.value === null
          ? headerText(record, contentType)
          : contentTypeOf(record, contentType, contentType.value),
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
/** An attribute header's attribute, or what is wrong with its name; by name, as header roles are. */
const attributeNames = new Map<string, { readonly attribute: string } | { readonly problem: string }>();

function attributeNameOf(headerName: string): { readonly attribute: string } | { readonly problem: string } {
  let known = attributeNames.get(headerName);
  if (known === undefined) {
    const attribute = headerName.slice(attributeHeaderPrefix.length);
    known =
      !headerName.startsWith(attributeHeaderPrefix) || !isAttributeName(attribute)
        ? {
            problem: `header ${headerName} is not a CloudEvents attribute header (ce_ and lower-case letters or digits)`,
          }
        : notAttributeHeaders.has(headerName)
          ? {
              problem: `header ${headerName} is not allowed in binary mode, which carries it as the record value or content-type`,
            }
          : { attribute };
    if (attributeNames.size >= headerNamesKept) attributeNames.clear();
    attributeNames.set(headerName, known);
  }
  return known;
}

const binaryModeLabel = (name: string): string => `header ${attributeHeaderPrefix}${name}`;

export function binaryModeAttributes(
  record: RawRecord,
  attributeHeaders: readonly RecordHeader[],
): RecordAttributes {
  const values = new Map<string, string>();
  for (const header of attributeHeaders) {
    const name = attributeNameOf(header.name);
    if ('problem' in name) throw malformed(record, name.problem);
    if (values.has(name.attribute)) throw malformed(record, `header ${header.name} occurs more than once`);
    values.set(name.attribute, headerText(record, header));
  }
  return { values, label: binaryModeLabel };
}
