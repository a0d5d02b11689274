import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { postgresKey } from './postgres-key';

describe('postgresKey', () => {
  it('leaves keys without NUL or backslash as they are', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((key) => !/[\\\0]/.test(key)),
        (key) => postgresKey(key) === key,
      ),
    );
  });

  it('never yields NUL, which PostgreSQL text cannot hold', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (key) => !postgresKey(key).includes('\u0000')));
  });

  it('keeps different keys different', () => {
    // Keys built mostly from the characters the escaping touches, where collisions would hide.
    const awkward = fc.string({ unit: fc.constantFrom('\\', '\u0000', '0', 'a') });
    fc.assert(
      fc.property(awkward, awkward, (a, b) => a === b || postgresKey(a) !== postgresKey(b)),
      { numRuns: 2_000 },
    );
  });

  it('escapes NUL as \\0 and a backslash as \\\\', () => {
    expect(postgresKey('group\u0000event')).toBe('group\\0event');
    expect(postgresKey('group\\0event')).toBe('group\\\\0event');
    expect(postgresKey('')).toBe('');
  });
});
