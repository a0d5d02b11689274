import { describe, expect, it } from 'vitest';
import { coalescingDedupStore, coalescingVersionStore } from './coalescing-dedup-store';
import { createMemoryDedupStore, createMemoryVersionStore } from './memory-stores';
import type { DedupStore, VersionStore } from './stores';

function counting(inner: DedupStore) {
  const calls = { seen: 0, mark: 0 };
  const store: DedupStore = {
    seen: (keys) => {
      calls.seen += 1;
      return inner.seen(keys);
    },
    mark: (keys, ttlMs) => {
      calls.mark += 1;
      return inner.mark(keys, ttlMs);
    },
    close: () => inner.close(),
  };
  return { store, calls };
}

describe('coalescingDedupStore', () => {
  it('answers each caller with its own keys from one call per turn', async () => {
    const { store, calls } = counting(createMemoryDedupStore());
    const coalesced = coalescingDedupStore(store);
    await Promise.all([coalesced.mark(['a'], 60_000), coalesced.mark(['c', 'd'], 60_000)]);
    expect(calls.mark).toBe(1);
    const answers = await Promise.all([
      coalesced.seen(['a', 'b']),
      coalesced.seen(['c']),
      coalesced.seen(['x', 'd', 'a']),
    ]);
    expect(calls.seen).toBe(1);
    expect(answers).toEqual([[true, false], [true], [false, true, true]]);
  });

  it('keeps marks with different time-to-live apart', async () => {
    const { store, calls } = counting(createMemoryDedupStore());
    const coalesced = coalescingDedupStore(store);
    await Promise.all([coalesced.mark(['short'], 1), coalesced.mark(['long'], 60_000)]);
    expect(calls.mark).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await coalesced.seen(['short', 'long'])).toEqual([false, true]);
  });

  it('gives every caller of a failed call the error', async () => {
    const failing: DedupStore = {
      seen: async () => {
        throw new Error('store down');
      },
      mark: async () => undefined,
      close: async () => undefined,
    };
    const coalesced = coalescingDedupStore(failing);
    const results = await Promise.allSettled([coalesced.seen(['a']), coalesced.seen(['b'])]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('coalescingVersionStore', () => {
  it('answers each caller from one latest call per turn, and records in one call', async () => {
    const inner = createMemoryVersionStore();
    const calls = { latest: 0, record: 0 };
    const counted: VersionStore = {
      latest: (keys) => {
        calls.latest += 1;
        return inner.latest(keys);
      },
      record: (entries) => {
        calls.record += 1;
        return inner.record(entries);
      },
      close: () => inner.close(),
    };
    const coalesced = coalescingVersionStore(counted);
    await Promise.all([
      coalesced.record([{ key: 'a', version: 2 }]),
      coalesced.record([{ key: 'b', version: 5 }]),
    ]);
    expect(calls.record).toBe(1);
    expect(await Promise.all([coalesced.latest(['a', 'x']), coalesced.latest(['b'])])).toEqual([
      [2, undefined],
      [5],
    ]);
    expect(calls.latest).toBe(1);
  });

  it('fails the callers of a store that throws synchronously instead of crashing', async () => {
    const throwing: VersionStore = {
      latest() {
        throw new TypeError('not a store');
      },
      record: async () => undefined,
      close: async () => undefined,
    };
    await expect(coalescingVersionStore(throwing).latest(['a'])).rejects.toThrow('not a store');
  });
});
