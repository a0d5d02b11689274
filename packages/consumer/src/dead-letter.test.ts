import {
  deliveredHeaders,
  headerViews,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type OutgoingHeaderValue,
  type OutgoingRecord,
  type RecordHeader,
} from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, deadLetterRecord, isDeadLetterHeader, maskCredentials } from './dead-letter';

const failure = new InletError(InletErrorCode.handlerFailed, 'the handler failed');

function sourceRecord(
  fields: { key?: Buffer | null; value?: Buffer | null; headers?: readonly RecordHeader[] } = {},
): IncomingRecord {
  return {
    topic: 'orders',
    partition: 4,
    offset: '1234',
    key: fields.key === undefined ? Buffer.from('o-1') : fields.key,
    value: fields.value === undefined ? Buffer.from('{"orderId":"o-1"}') : fields.value,
    ...headerViews([...(fields.headers ?? [])]),
    timestamp: 1_700_000_000_000,
  };
}

const letterOf = (record: IncomingRecord, details: Partial<Parameters<typeof deadLetterRecord>[1]> = {}) =>
  deadLetterRecord(record, {
    deadLetterTopic: 'orders.dlq',
    groupId: 'order-table',
    error: failure,
    attempts: 6,
    ...details,
  });

/** The letter's headers as a consumer reads them: every value in order, as text. */
function readHeaders(letter: OutgoingRecord): Map<string, string[]> {
  const read = new Map<string, string[]>();
  for (const { name, value } of deliveredHeaders(letter.headers).headerList)
    read.set(name, [...(read.get(name) ?? []), value?.toString('utf8') ?? '<null>']);
  return read;
}

const header = (letter: OutgoingRecord, name: string) => readHeaders(letter).get(name);

/** What the letter costs as the size policy counts it: key, value, header names and values. */
function letterBytes(letter: OutgoingRecord): number {
  let bytes = (letter.key?.length ?? 0) + (letter.value?.length ?? 0);
  for (const [name, value] of Object.entries(letter.headers ?? {}))
    for (const each of (Array.isArray(value) ? value : [value]) as OutgoingHeaderValue[])
      bytes += Buffer.byteLength(name) + (typeof each === 'string' ? Buffer.byteLength(each) : each.length);
  return bytes;
}

describe('deadLetterRecord', () => {
  it('keeps the key, value and timestamp, addressed to the dead-letter topic', () => {
    const record = sourceRecord();
    const letter = letterOf(record);
    expect(letter.topic).toBe('orders.dlq');
    expect(letter.key).toEqual(record.key);
    expect(letter.value).toEqual(record.value);
    expect(letter.timestamp).toBe(record.timestamp);
  });

  it('says why the record failed and where it came from', () => {
    const before = Date.now();
    const letter = letterOf(sourceRecord());
    const read = readHeaders(letter);
    expect(Object.fromEntries([...read].filter(([name]) => name !== DeadLetterHeader.failedAt))).toEqual({
      [DeadLetterHeader.errorCode]: ['INLET_HANDLER_FAILED'],
      [DeadLetterHeader.errorMessage]: ['the handler failed'],
      [DeadLetterHeader.attempts]: ['6'],
      [DeadLetterHeader.sourceTopic]: ['orders'],
      [DeadLetterHeader.sourcePartition]: ['4'],
      [DeadLetterHeader.sourceOffset]: ['1234'],
      [DeadLetterHeader.consumerGroup]: ['order-table'],
    });
    const failedAt = Date.parse(read.get(DeadLetterHeader.failedAt)?.[0] ?? '');
    expect(failedAt).toBeGreaterThanOrEqual(before - 1);
    expect(failedAt).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('copies every original header, repeated names in order', () => {
    const letter = letterOf(
      sourceRecord({
        headers: [
          { name: 'trace', value: Buffer.from('a') },
          { name: 'tenant', value: Buffer.from('t-1') },
          { name: 'trace', value: Buffer.from('b') },
          { name: 'raw', value: Buffer.from([0xff, 0x00]) },
        ],
      }),
    );
    expect(header(letter, 'trace')).toEqual(['a', 'b']);
    expect(header(letter, 'tenant')).toEqual(['t-1']);
    const raw = deliveredHeaders(letter.headers).headerList.find(({ name }) => name === 'raw');
    expect(raw?.value).toEqual(Buffer.from([0xff, 0x00]));
    expect(header(letter, DeadLetterHeader.nullHeaders)).toBeUndefined();
  });

  it('writes headers without a value empty, and names each once in inlet-dlq-null-headers', () => {
    const letter = letterOf(
      sourceRecord({
        headers: [
          { name: 'x-flag', value: null },
          { name: 'x-flag', value: null },
          { name: 'x-other', value: null },
          { name: 'x-set', value: Buffer.from('1') },
        ],
      }),
    );
    // deliveredHeaders throws on a null value, as a send would: the letter is writable.
    expect(header(letter, 'x-flag')).toEqual(['', '']);
    expect(header(letter, 'x-other')).toEqual(['']);
    expect(JSON.parse(header(letter, DeadLetterHeader.nullHeaders)?.[0] ?? '')).toEqual([
      'x-flag',
      'x-other',
    ]);
  });

  it('replaces the dead-letter headers of a record that was a dead letter before', () => {
    const letter = letterOf(
      sourceRecord({
        headers: [
          { name: DeadLetterHeader.errorCode, value: Buffer.from('INLET_OLD') },
          { name: DeadLetterHeader.attempts, value: Buffer.from('1') },
        ],
      }),
    );
    expect(header(letter, DeadLetterHeader.errorCode)).toEqual(['INLET_HANDLER_FAILED']);
    expect(header(letter, DeadLetterHeader.attempts)).toEqual(['6']);
  });

  it('reads the headers map of a record built without a header list', () => {
    const { headerList: _list, ...withoutList } = sourceRecord();
    const record = { ...withoutList, headers: { tenant: Buffer.from('t-9') } } as unknown as IncomingRecord;
    expect(header(letterOf(record), 'tenant')).toEqual(['t-9']);
  });

  it('writes the redacted value, marked and typed as JSON', () => {
    const redactedValue = Buffer.from('{"email":"[redacted]"}');
    const letter = letterOf(
      sourceRecord({ headers: [{ name: 'content-type', value: Buffer.from('application/avro') }] }),
      { redactedValue },
    );
    expect(letter.value).toEqual(redactedValue);
    expect(header(letter, DeadLetterHeader.redacted)).toEqual(['true']);
    expect(header(letter, 'content-type')).toEqual(['application/json']);
    expect(header(letterOf(sourceRecord()), DeadLetterHeader.redacted)).toBeUndefined();
  });

  it('masks credentials in the error message by default', () => {
    const error = new InletError(
      StoreErrorCode.storeFailed,
      'connect to postgres://app:s3cret@db:5432/x failed',
    );
    expect(header(letterOf(sourceRecord(), { error }), DeadLetterHeader.errorMessage)).toEqual([
      'connect to postgres://app:***@db:5432/x failed',
    ]);
  });

  it('writes no message for errorMessage false, and a given one as it is, keeping the code', () => {
    const none = letterOf(sourceRecord(), { errorMessage: false });
    expect(header(none, DeadLetterHeader.errorMessage)).toBeUndefined();
    expect(header(none, DeadLetterHeader.errorCode)).toEqual(['INLET_HANDLER_FAILED']);
    const given = letterOf(sourceRecord(), { errorMessage: 'order failed (details in the logs)' });
    expect(header(given, DeadLetterHeader.errorMessage)).toEqual(['order failed (details in the logs)']);
  });

  it('cuts a very long error message', () => {
    const error = new InletError(InletErrorCode.handlerFailed, 'x'.repeat(50_000));
    const message = header(letterOf(sourceRecord(), { error }), DeadLetterHeader.errorMessage)?.[0] ?? '';
    expect(message.length).toBeGreaterThan(100);
    expect(message.length).toBeLessThanOrEqual(2_000);
  });

  it('keeps an error message cut at its length limit writable, never splitting a character', () => {
    const error = new InletError(InletErrorCode.handlerFailed, `${'x'.repeat(1_999)}😀 and more`);
    const letter = letterOf(sourceRecord(), { error });
    // A send refuses a header with half an emoji (a lone surrogate) as an invalid record.
    expect(() => deliveredHeaders(letter.headers)).not.toThrow();
    expect(header(letter, DeadLetterHeader.errorMessage)?.[0]).toBe('x'.repeat(1_999));
  });

  it('writes an error message with a lone surrogate as text UTF-8 can carry', () => {
    const error = new InletError(InletErrorCode.validationFailed, 'invalid key "\uD800x"');
    const letter = letterOf(sourceRecord(), { error });
    expect(() => deliveredHeaders(letter.headers)).not.toThrow();
    expect(header(letter, DeadLetterHeader.errorMessage)).toEqual(['invalid key "\uFFFDx"']);
  });

  it('shortens the error message when even Inlet’s own headers would not fit', () => {
    const error = new InletError(InletErrorCode.handlerFailed, `${'é'.repeat(1_500)}`);
    const letter = letterOf(sourceRecord({ value: Buffer.alloc(300, 1) }), { error, maxRecordBytes: 1_024 });
    expect(letterBytes(letter)).toBeLessThanOrEqual(1_024);
    const message = header(letter, DeadLetterHeader.errorMessage)?.[0] ?? '';
    expect(message.length).toBeGreaterThan(100);
    expect(message).toBe('é'.repeat(message.length));
    expect(header(letter, DeadLetterHeader.errorCode)).toEqual(['INLET_HANDLER_FAILED']);
    expect(header(letter, DeadLetterHeader.valueTruncated)).toEqual(['300']);
  });

  it('keeps a letter that fits whole, with no size headers', () => {
    const letter = letterOf(sourceRecord({ value: Buffer.alloc(900_000, 1) }));
    expect(letter.value?.length).toBe(900_000);
    expect(header(letter, DeadLetterHeader.valueTruncated)).toBeUndefined();
    expect(header(letter, DeadLetterHeader.headersDropped)).toBeUndefined();
  });

  it('truncates a value too large to fit, keeping its first bytes and the headers', () => {
    const value = Buffer.alloc(1_200_000);
    for (let index = 0; index < value.length; index += 1) value[index] = index % 251;
    const letter = letterOf(
      sourceRecord({ value, headers: [{ name: 'tenant', value: Buffer.from('t-1') }] }),
    );
    expect(header(letter, DeadLetterHeader.valueTruncated)).toEqual(['1200000']);
    expect(header(letter, 'tenant')).toEqual(['t-1']);
    expect(letter.value?.length).toBeGreaterThan(990_000);
    expect(letter.value?.equals(value.subarray(0, letter.value.length))).toBe(true);
    expect(letterBytes(letter)).toBeLessThanOrEqual(1_000_000);
  });

  it('honours a smaller maxRecordBytes', () => {
    const letter = letterOf(sourceRecord({ value: Buffer.alloc(10_000, 7) }), { maxRecordBytes: 4_096 });
    expect(header(letter, DeadLetterHeader.valueTruncated)).toEqual(['10000']);
    expect(letterBytes(letter)).toBeLessThanOrEqual(4_096);
    expect(letter.value?.length).toBeGreaterThan(2_000);
  });

  it('leaves out original headers that alone do not fit, saying how many', () => {
    const big = Buffer.alloc(3_000, 0x61);
    const letter = letterOf(
      sourceRecord({
        value: Buffer.alloc(500, 1),
        headers: [
          { name: 'big', value: big },
          { name: 'big', value: big },
          { name: 'flag', value: null },
        ],
      }),
      { maxRecordBytes: 4_096 },
    );
    expect(header(letter, 'big')).toBeUndefined();
    expect(header(letter, 'flag')).toBeUndefined();
    expect(header(letter, DeadLetterHeader.headersDropped)).toEqual(['3']);
    expect(header(letter, DeadLetterHeader.nullHeaders)).toBeUndefined();
    expect(header(letter, DeadLetterHeader.errorCode)).toEqual(['INLET_HANDLER_FAILED']);
    // The value still fits beside Inlet's own headers.
    expect(letter.value?.length).toBe(500);
    expect(letterBytes(letter)).toBeLessThanOrEqual(4_096);
  });

  it('keeps a null value null', () => {
    const letter = letterOf(sourceRecord({ value: null }), { maxRecordBytes: 1_024 });
    expect(letter.value).toBeNull();
    expect(header(letter, DeadLetterHeader.valueTruncated)).toBeUndefined();
  });

  it('never makes a letter larger than maxRecordBytes (property)', () => {
    const headerArbitrary = fc.record({
      name: fc.string({ minLength: 1, maxLength: 40 }),
      size: fc.option(fc.integer({ min: 0, max: 4_000 }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1_024, max: 40_000 }),
        fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
        fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
        fc.array(headerArbitrary, { maxLength: 12 }),
        fc.oneof(
          fc.string({ maxLength: 300 }),
          // Long, multi-byte and malformed messages too: emoji, accents, lone surrogates.
          fc.string({ unit: fc.constantFrom('x', 'é', '😀', '\uD800', ' '), maxLength: 2_500 }),
        ),
        (maxRecordBytes, keySize, valueSize, headers, message) => {
          const record = sourceRecord({
            key: keySize === null ? null : Buffer.alloc(keySize, 0x6b),
            value: valueSize === null ? null : Buffer.alloc(valueSize, 0x76),
            headers: headers.map(({ name, size }) => ({
              name,
              value: size === null ? null : Buffer.alloc(size, 0x68),
            })),
          });
          const error = new InletError(InletErrorCode.handlerFailed, message);
          const letter = letterOf(record, { maxRecordBytes, error });
          expect(letterBytes(letter)).toBeLessThanOrEqual(maxRecordBytes);
          // Only what had to go went: a value is cut only when it did not fit as it was.
          const truncated = header(letter, DeadLetterHeader.valueTruncated);
          if (truncated !== undefined) expect(truncated).toEqual([String(valueSize)]);
          else expect(letter.value?.length ?? null).toBe(valueSize);
          // And the letter can be sent as it is.
          expect(() => deliveredHeaders(letter.headers)).not.toThrow();
        },
      ),
    );
  });
});

describe('maskCredentials', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/orders', 'postgres://app:***@db:5432/orders'],
    ['redis://:hunter2@cache:6379', 'redis://:***@cache:6379'],
    ['login failed: password=hunter2 user=app', 'login failed: password=*** user=app'],
    ['token: abc.def.ghi, retry later', 'token: ***, retry later'],
    ['secret="two words" rejected', 'secret=*** rejected'],
    ['api_key=AKIA123&region=eu', 'api_key=***&region=eu'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'Authorization: Bearer ***'],
  ])('masks %s', (text, masked) => {
    expect(maskCredentials(text)).toBe(masked);
  });

  it('leaves text without credentials alone', () => {
    for (const text of [
      'relation "orders" does not exist',
      'https://user@example.com/path has no password',
      'the token bucket is empty',
    ])
      expect(maskCredentials(text)).toBe(text);
  });
});

describe('isDeadLetterHeader', () => {
  it('knows Inlet’s dead-letter headers and nothing else', () => {
    for (const name of Object.values(DeadLetterHeader)) expect(isDeadLetterHeader(name)).toBe(true);
    expect(isDeadLetterHeader('content-type')).toBe(false);
    expect(isDeadLetterHeader('inlet-dlq-something-else')).toBe(false);
  });
});
