import { describe, expect, it } from 'vitest';
import { PartitionCountCache } from './partition-count-cache';

describe('PartitionCountCache', () => {
  it('looks a topic up once, shares a lookup in flight, and looks again when stale or refreshed', async () => {
    let now = 0;
    const lookups: string[] = [];
    const cache = new PartitionCountCache(
      async (topic) => {
        lookups.push(topic);
        return lookups.length;
      },
      1_000,
      () => now,
    );
    expect(await Promise.all([cache.get('t'), cache.get('t')])).toEqual([1, 1]);
    expect(await cache.get('t')).toBe(1);
    now = 1_000;
    expect(await cache.get('t')).toBe(2);
    expect(await cache.refresh('t')).toBe(3);
    cache.invalidate('t');
    expect(await cache.get('t')).toBe(4);
    expect(lookups).toEqual(['t', 't', 't', 't']);
  });

  it('does not cache a failed lookup', async () => {
    let fail = true;
    const cache = new PartitionCountCache(async () => {
      if (fail) throw new Error('unknown topic');
      return 5;
    });
    await expect(cache.get('t')).rejects.toThrow('unknown topic');
    fail = false;
    expect(await cache.get('t')).toBe(5);
  });
});
