import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idempotencyKey } from './idempotency-key';

const parts = fc.record({
  groupId: fc.string({ minLength: 1 }),
  topic: fc.string({ minLength: 1 }),
  partition: fc.nat(1_000),
  firstOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }).map(String),
  lastOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }).map(String),
});

describe('idempotencyKey', () => {
  it('is the same for the same group, partition and offsets', () => {
    fc.assert(
      fc.property(parts, (given) => {
        expect(idempotencyKey({ ...given })).toBe(idempotencyKey(given));
      }),
    );
  });

  it('differs when any part differs', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(idempotencyKey(a)).not.toBe(idempotencyKey(b));
      }),
    );
  });

  it('does not let parts run into each other', () => {
    const base = { groupId: 'g', partition: 1, firstOffset: '1', lastOffset: '2' };
    expect(idempotencyKey({ ...base, topic: 'ab' })).not.toBe(
      idempotencyKey({ ...base, groupId: 'ga', topic: 'b' }),
    );
    expect(idempotencyKey({ ...base, topic: 't', firstOffset: '12', lastOffset: '3' })).not.toBe(
      idempotencyKey({ ...base, topic: 't', firstOffset: '1', lastOffset: '23' }),
    );
  });

  it('is header-safe text of a fixed length', () => {
    expect(
      idempotencyKey({ groupId: 'g', topic: 't', partition: 0, firstOffset: '0', lastOffset: '9' }),
    ).toMatch(/^[0-9a-f]{40}$/);
  });
});
