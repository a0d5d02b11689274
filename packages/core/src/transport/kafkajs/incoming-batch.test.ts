import { describe, expect, it } from 'vitest';
import { toIncomingHeaders } from './incoming-batch';

describe('toIncomingHeaders', () => {
  it('gives bytes, and the last value of a repeated header', () => {
    expect(
      toIncomingHeaders({
        single: Buffer.from('one'),
        text: 'two',
        repeated: [Buffer.from('first'), Buffer.from('last')],
        absent: undefined,
      }),
    ).toEqual({
      single: Buffer.from('one'),
      text: Buffer.from('two'),
      repeated: Buffer.from('last'),
      absent: undefined,
    });
    expect(toIncomingHeaders(undefined)).toEqual({});
  });
});
