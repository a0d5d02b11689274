import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRfc3339, parseRfc3339 } from './rfc3339';

const minMillis = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const maxMillis = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe('RFC 3339', () => {
  it('formats exactly as toISOString for years 0000-9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: minMillis, max: maxMillis }), (millis) => {
        return formatRfc3339(millis) === new Date(millis).toISOString();
      }),
      { numRuns: 20_000 },
    );
    expect(formatRfc3339(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatRfc3339(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29T23:59:59.999Z');
  });

  it('parses what it formats, and agrees with Date.parse on offsets and fractions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: minMillis, max: maxMillis }),
        (millis) => parseRfc3339(formatRfc3339(millis)) === millis,
      ),
      { numRuns: 20_000 },
    );
    for (const text of [
      '2026-11-25T10:00:00Z',
      '2026-11-25t10:00:00z',
      '2026-11-25 10:00:00Z',
      '2026-11-25T11:30:00+01:30',
      '2026-11-25T04:00:00-06:00',
      '2026-11-25T10:00:00.1Z',
      '2026-11-25T10:00:00.12Z',
      '2026-11-25T10:00:00.123456789Z',
    ]) {
      expect(parseRfc3339(text), text).toBe(Date.parse(text.replace(' ', 'T').toUpperCase()));
    }
  });

  it('accepts any number of fraction digits, keeping the milliseconds a Date holds', () => {
    expect(parseRfc3339('2026-11-25T10:00:00.1234567890Z')).toBe(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
    expect(parseRfc3339(`2026-11-25T10:00:00.${'9'.repeat(40)}+01:00`)).toBe(
      Date.UTC(2026, 10, 25, 9, 0, 0, 999),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: minMillis, max: maxMillis }),
        fc.stringMatching(/^[0-9]{0,30}$/),
        fc.constantFrom('Z', 'z', '+00:00', '-00:00'),
        (millis, extraDigits, zone) => {
          // Digits past the millisecond never round up: the instant is truncated, not rounded.
          const text = `${formatRfc3339(millis).slice(0, -1)}${extraDigits}${zone}`;
          return parseRfc3339(text) === millis;
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('reads every offset as the same instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 2), max: Date.UTC(9998, 11, 30) }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (millis, offsetMinutes) => {
          const local = formatRfc3339(millis + offsetMinutes * 60_000).slice(0, -1);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const magnitude = Math.abs(offsetMinutes);
          const hours = String(Math.floor(magnitude / 60)).padStart(2, '0');
          const minutes = String(magnitude % 60).padStart(2, '0');
          return parseRfc3339(`${local}${sign}${hours}:${minutes}`) === millis;
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it.each([
    '2026-11-25T10:00:00.1234567890x',
    '2026-11-25T10:00:00.12a4Z',
    '2026-02-31T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-25T24:00:00Z',
    '2026-11-25T23:59:60Z',
    '2026-11-25T10:00:00',
    '2026-11-25T10:00:00+0100',
    '2026-11-25T10:00:00.Z',
    '2026-11-25T10:00Z',
    '2026-11-25',
    'yesterday at noon, UTC',
    '2026-11-25T10:00:00Z ',
  ])('refuses %j', (text) => {
    expect(parseRfc3339(text)).toBeNaN();
  });

  it('never throws, whatever the string', () => {
    fc.assert(fc.property(fc.string(), (text) => typeof parseRfc3339(text) === 'number'));
  });
});
