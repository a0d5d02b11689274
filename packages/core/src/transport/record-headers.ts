import { isWellFormedText } from '../codecs/avro/well-formed-strings';
import { InletErrorCode, InletKafkaError, type RecordHeader } from '../errors';
import type { IncomingHeaders, OutgoingHeaders, OutgoingHeaderValue } from './transport';

/** Both views of a received record's headers: by name, and every one in order. */
export interface HeaderViews {
  readonly headers: IncomingHeaders;
  readonly headerList: readonly RecordHeader[];
}

const noHeaderViews: HeaderViews = Object.freeze({
  headers: Object.freeze({}),
  headerList: Object.freeze([]),
});

/** Sets a header; a header named `__proto__` becomes an own property instead of a prototype change. */
export function defineHeader(
  target: Record<string, Buffer | null>,
  name: string,
  value: Buffer | null,
): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

/**
 * The views a received record carries, from its headers in order (the list is kept and frozen,
 * not copied). For a repeated name the map holds the last value, as the Java client's
 * `Headers.lastHeader` does.
 */
export function headerViews(headerList: readonly RecordHeader[]): HeaderViews {
  if (headerList.length === 0) return noHeaderViews;
  const headers: Record<string, Buffer | null> = {};
  for (const { name, value } of headerList) defineHeader(headers, name, value);
  return { headers: Object.freeze(headers), headerList: Object.freeze(headerList) };
}

/**
 * The headers a consumer receives for headers sent as `headers`, on either transport: each name's
 * values in the order given, strings as their UTF-8 bytes. For reading records built without a
 * transport (tests, tools); throws what a send would.
 */
export function deliveredHeaders(headers: OutgoingHeaders | undefined): HeaderViews {
  const list: RecordHeader[] = [];
  forEachOutgoingHeader(headers, 0, (name, value) => {
    list.push({ name, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value });
  });
  return headerViews(list);
}

function headerProblem(index: number, name: string, problem: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaInvalidRecord,
    `record ${index}: header ${JSON.stringify(name)} ${problem}`,
    'INVALID_RECORD',
  );
}

function checkValue(index: number, name: string, value: unknown): asserts value is OutgoingHeaderValue {
  if (typeof value === 'string') {
    if (!isWellFormedText(value)) {
      throw headerProblem(index, name, 'has a lone surrogate, which UTF-8 cannot carry');
    }
    return;
  }
  if (Buffer.isBuffer(value)) return;
  if (value === null) {
    // Kafka allows it, but kafkajs 2.2.4 throws on every attempt to encode one (tulios/kafkajs#1789);
    // the in-memory backbone refuses it too so that code tested on it behaves the same on Kafka.
    throw headerProblem(index, name, 'has a null value, which kafkajs cannot write');
  }
  throw headerProblem(
    index,
    name,
    `must be a Buffer, a string or an array of them, found ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return 'a Uint8Array that is not a Buffer';
  return value === undefined ? 'undefined' : typeof value;
}

/**
 * Checks the headers of record `index` can be sent as they are and visits each one in the order it
 * will be written; a malformed header is INLET_KAFKA_INVALID_RECORD naming it, not retryable.
 */
export function forEachOutgoingHeader(
  headers: OutgoingHeaders | undefined,
  index: number,
  visit: (name: string, value: OutgoingHeaderValue) => void,
): void {
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new InletKafkaError(
      InletErrorCode.kafkaInvalidRecord,
      `record ${index}: headers must be an object of header names`,
      'INVALID_RECORD',
    );
  }
  for (const name of Object.keys(headers)) {
    if (!isWellFormedText(name)) throw headerProblem(index, name, 'has a lone surrogate in its name');
    const value: unknown = headers[name];
    if (Array.isArray(value)) {
      for (const item of value as readonly unknown[]) {
        checkValue(index, name, item);
        visit(name, item);
      }
    } else {
      checkValue(index, name, value);
      visit(name, value);
    }
  }
}
