import { createRequire } from 'node:module';
import type { Batch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toIncomingBatch, toIncomingHeaders } from './incoming-batch';

// kafkajs's own Batch, which filters control records and aborted records out of a fetch.
const KafkaJsBatch = createRequire(import.meta.url)('kafkajs/src/consumer/batch') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: unknown,
) => Batch;

function message(offset: number, options: { control?: boolean; producerId?: string } = {}) {
  return {
    offset: String(offset),
    key: null,
    value: Buffer.from(`value-${offset}`),
    timestamp: '1',
    headers: {},
    isControlRecord: options.control ?? false,
    batchContext: { producerId: options.producerId ?? '1', inTransaction: true },
    magicByte: 2,
  };
}

describe('toIncomingHeaders', () => {
  it('keeps every header: null values, repeated names in order, the last value in the map', () => {
    const views = toIncomingHeaders({
      single: Buffer.from('one'),
      text: 'two',
      repeated: [Buffer.from('first'), null as unknown as Buffer, Buffer.from('last')],
      flag: null as unknown as Buffer,
      empty: Buffer.alloc(0),
    });
    expect(views.headerList).toEqual([
      { name: 'single', value: Buffer.from('one') },
      { name: 'text', value: Buffer.from('two') },
      { name: 'repeated', value: Buffer.from('first') },
      { name: 'repeated', value: null },
      { name: 'repeated', value: Buffer.from('last') },
      { name: 'flag', value: null },
      { name: 'empty', value: Buffer.alloc(0) },
    ]);
    expect(views.headers).toEqual({
      single: Buffer.from('one'),
      text: Buffer.from('two'),
      repeated: Buffer.from('last'),
      flag: null,
      empty: Buffer.alloc(0),
    });
    expect(toIncomingHeaders(undefined)).toEqual({ headers: {}, headerList: [] });
  });

  it('keeps a header named __proto__ as a header', () => {
    // What kafkajs 2.2.4's decoder makes of one header named __proto__.
    const headers = Object.defineProperty({}, '__proto__', {
      value: [Object.prototype, Buffer.from('value')],
      enumerable: true,
    });
    const views = toIncomingHeaders(headers);
    expect(views.headerList).toEqual([{ name: '__proto__', value: Buffer.from('value') }]);
    expect(Object.getPrototypeOf(views.headers)).toBe(Object.prototype);
    expect(Object.keys(views.headers)).toEqual(['__proto__']);
  });
});

describe('toIncomingBatch', () => {
  it('ends the batch past the markers and aborted records kafkajs filtered out', () => {
    // A committed transaction (0-1, its marker at 2), then an aborted one (3, its marker at 4).
    const batch = new KafkaJsBatch('t', '0', {
      partition: 0,
      highWatermark: '5',
      abortedTransactions: [{ producerId: '1', firstOffset: '3' }],
      messages: [
        message(0),
        message(1),
        message(2, { control: true }),
        message(3),
        message(4, { control: true }),
      ],
    });
    const incoming = toIncomingBatch(batch);
    expect(incoming.records.map((record) => record.offset)).toEqual(['0', '1']);
    expect(incoming.nextOffset).toBe('5');
    expect(incoming.highWatermark).toBe('5');
  });
});
