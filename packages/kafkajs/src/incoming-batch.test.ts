import { describe, expect, it } from 'vitest';
import { toIncomingHeaders } from './incoming-batch';

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
