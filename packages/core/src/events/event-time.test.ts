import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InletErrorCode, InletValidationError } from '../errors';
import { entityKeyBytes } from './entity-key';
import { toEventTime } from './event-time';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);

function failure(run: () => unknown): InletValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof InletValidationError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('toEventTime', () => {
  it('accepts Dates, epoch milliseconds and RFC 3339 strings', () => {
    const expected = '2026-11-25T11:00:00.000Z';
    expect(toEventTime(new Date(expected), {}, now).toISOString()).toBe(expected);
    expect(toEventTime(Date.parse(expected), {}, now).toISOString()).toBe(expected);
    expect(toEventTime('2026-11-25T12:00:00+01:00', {}, now).toISOString()).toBe(expected);
  });

  it.each([
    ['NaN', Number.NaN, /finite/],
    ['Invalid Date', new Date('nope'), /Invalid Date/],
    ['a local time without offset', '2026-11-25T11:00:00', /RFC 3339/],
    ['prose', 'yesterday', /RFC 3339/],
    ['an impossible date', '2026-02-31T00:00:00Z', /not a real RFC 3339/],
    ['null', null, /found null/],
    ['an object', { at: 1 }, /found object/],
    ['year 1970', 0, /outside/],
    ['year 20000', Date.UTC(20000, 0, 1), /outside/],
  ])('refuses %s', (_, input, message) => {
    const error = failure(() => toEventTime(input, {}, now, 'order.placed'));
    expect(error.code).toBe(InletErrorCode.invalidEventTime);
    expect(error.eventType).toBe('order.placed');
    expect(error.message).toMatch(message);
  });

  it('says when a number looks like seconds or microseconds', () => {
    expect(failure(() => toEventTime(now / 1000, {}, now)).message).toMatch(/looks like seconds/);
    expect(failure(() => toEventTime(now * 1000, {}, now)).message).toMatch(/looks like microseconds/);
  });

  it('refuses times too far ahead of the clock, and honours custom limits', () => {
    expect(() => toEventTime(now + 3_600_000 + 1, {}, now)).toThrow(/outside/);
    expect(toEventTime(now + 3_600_000, {}, now).getTime()).toBe(now + 3_600_000);
    expect(toEventTime(Date.UTC(1990, 0, 1), { earliest: Date.UTC(1980, 0, 1) }, now).getUTCFullYear()).toBe(
      1990,
    );
    expect(() => toEventTime(now + 1000, { maxAheadMs: 0 }, now)).toThrow(/outside/);
  });

  it('never throws anything but a validation error, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          const result = toEventTime(input, {}, now);
          return result instanceof Date && !Number.isNaN(result.getTime());
        } catch (error) {
          return error instanceof InletValidationError && error.code === InletErrorCode.invalidEventTime;
        }
      }),
    );
  });
});

describe('entityKeyBytes', () => {
  it('accepts non-empty strings and bytes', () => {
    expect(entityKeyBytes('order-1').toString()).toBe('order-1');
    expect([...entityKeyBytes(new Uint8Array([1, 2]))]).toEqual([1, 2]);
  });

  it.each([
    ['an empty string', ''],
    ['empty bytes', new Uint8Array()],
    ['a number', 42],
    ['undefined', undefined],
  ])('refuses %s', (_, key) => {
    const error = failure(() => entityKeyBytes(key, 'order.placed'));
    expect(error.code).toBe(InletErrorCode.invalidKey);
    expect(error.message).toContain('order.placed');
  });
});
