import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-10-21T07:28:00.000Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('1', now)).toBe(1_000);
    expect(retryAfterMs(' 120 ', now)).toBe(120_000);
    expect(retryAfterMs('0', now)).toBe(0);
  });

  it('reads an HTTP date as the time until it', () => {
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
  });

  it('reads a date that has passed as no wait', () => {
    expect(retryAfterMs('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs(['2', '5'], now)).toBe(2_000);
  });

  it('ignores what is neither', () => {
    for (const value of [undefined, '', '-1', '1.5', 'soon', '12abc', 'Wed, 99 Foo 2026']) {
      expect(retryAfterMs(value, now)).toBeUndefined();
    }
  });
});
