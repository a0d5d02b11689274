import { InletError } from '@inlet/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalValue } from './canonical-value';
import { ReconcileErrorCode } from './reconcile-error-code';
import { canonicalRow, rowDigest } from './row-digest';

describe('canonicalValue', () => {
  it('keeps null apart from the empty string, and absent equal to null', () => {
    expect(canonicalValue(null)).toBe('n');
    expect(canonicalValue(undefined)).toBe('n');
    expect(canonicalValue('')).toBe('s');
    expect(canonicalValue('')).not.toBe(canonicalValue(null));
  });

  it('keeps numbers apart from their text, and equal whatever their JavaScript type', () => {
    expect(canonicalValue(1)).not.toBe(canonicalValue('1'));
    expect(canonicalValue(5)).toBe(canonicalValue(5n));
    expect(canonicalValue(1.5)).toBe('d1.5');
    expect(canonicalValue(true)).not.toBe(canonicalValue('t'));
    expect(canonicalValue(true)).toBe('bt');
  });

  it('writes times as ISO 8601 text and bytes as \\x hex text', () => {
    expect(canonicalValue(new Date('2026-01-01T00:00:01.5Z'))).toBe(
      canonicalValue('2026-01-01T00:00:01.500Z'),
    );
    expect(canonicalValue(Buffer.from([0xab, 0x01]))).toBe(canonicalValue('\\xab01'));
  });

  it('writes objects as JSON with sorted keys', () => {
    expect(canonicalValue({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe(
      canonicalValue({ a: [2, { c: 2, d: 1 }], b: 1 }),
    );
  });

  it('refuses a value with no canonical form, naming the column', () => {
    let refused: unknown;
    try {
      canonicalValue(Symbol('x'), 'status');
    } catch (error) {
      refused = error;
    }
    expect(InletError.hasCode(refused, ReconcileErrorCode.uncomparableType)).toBe(true);
    expect((refused as Error).message).toContain('"status"');
  });
});

describe('rowDigest', () => {
  const columns = ['a', 'b'];

  it('does not depend on the order of the row properties', () => {
    expect(rowDigest('k', columns, { a: 1, b: 'x' })).toBe(rowDigest('k', columns, { b: 'x', a: 1 }));
  });

  it('depends on the key and on every compared column, and on nothing else', () => {
    const base = rowDigest('k', columns, { a: 1, b: 'x' });
    expect(rowDigest('k2', columns, { a: 1, b: 'x' })).not.toBe(base);
    expect(rowDigest('k', columns, { a: 2, b: 'x' })).not.toBe(base);
    expect(rowDigest('k', columns, { a: 1, b: 'x', ignored: true })).toBe(base);
  });

  it('cannot be fooled by separators inside values', () => {
    expect(canonicalRow('k', columns, { a: 'x|b=sy', b: null })).not.toBe(
      canonicalRow('k', columns, { a: 'x', b: 'y' }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a1, b1, a2, b2) => {
        fc.pre(a1 !== a2 || b1 !== b2);
        return canonicalRow('k', columns, { a: a1, b: b1 }) !== canonicalRow('k', columns, { a: a2, b: b2 });
      }),
    );
  });

  it('is a signed 64-bit integer', () => {
    const digest = rowDigest('k', columns, { a: 1 });
    expect(BigInt.asIntN(64, digest)).toBe(digest);
  });
});
