import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CheckedEvent, OffsetOrderChecks } from './offset-order-checks';

const event = (dedupKey: string, versionKey?: string, entityVersion?: number): CheckedEvent => ({
  dedupKey,
  versionKey,
  entityVersion,
});

describe('OffsetOrderChecks', () => {
  it('checks dedup before the version gate', () => {
    const checks = new OffsetOrderChecks(new Map([['e', 5]]));
    // A copy of an event already marked is a duplicate, even though its version is old too.
    expect(checks.check(event('a', 'e', 3), true)).toBe('duplicate');
    expect(checks.check(event('b', 'e', 3), false)).toBe('stale');
    expect(checks.check(event('c', 'e', 6), false)).toBe('fresh');
  });

  it('sees what earlier events of the batch did', () => {
    const checks = new OffsetOrderChecks();
    const first = event('a', 'e', 1);
    expect(checks.check(first, false)).toBe('fresh');
    checks.handled(first);
    expect(checks.check(event('a', 'e', 1), false)).toBe('duplicate');
    expect(checks.check(event('b', 'e', 1), false)).toBe('stale');
    const stale = event('b', 'e', 1);
    checks.skipped(stale);
    expect(checks.check(event('b', 'e', 1), false)).toBe('duplicate');
  });

  it('lets events without a version through the gate', () => {
    const checks = new OffsetOrderChecks(new Map([['e', 5]]));
    expect(checks.check(event('a'), false)).toBe('fresh');
    expect(checks.check(event('b', 'e'), false)).toBe('fresh');
  });

  it('agrees with a model of the rules on any sequence', () => {
    const step = fc.record({
      id: fc.integer({ min: 0, max: 6 }),
      entity: fc.integer({ min: 0, max: 2 }),
      version: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const checks = new OffsetOrderChecks();
        const done = new Set<string>();
        const latest = new Map<string, number>();
        for (const { id, entity, version } of steps) {
          const item = event(`id-${id}`, `entity-${entity}`, version);
          const expected = done.has(item.dedupKey)
            ? 'duplicate'
            : version <= (latest.get(`entity-${entity}`) ?? -1)
              ? 'stale'
              : 'fresh';
          const outcome = checks.check(item, false);
          expect(outcome).toBe(expected);
          if (outcome === 'fresh') {
            checks.handled(item);
            latest.set(`entity-${entity}`, version);
          }
          if (outcome === 'stale') checks.skipped(item);
          if (outcome !== 'duplicate') done.add(item.dedupKey);
        }
      }),
    );
  });
});
