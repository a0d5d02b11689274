import { InletError } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DedupMarks } from './dedup-marks';
import { quickServiceCalls, workItem } from './fixtures/work-items.test-support';
import { ConsumerFailedError } from './retries';
import type { DedupStore } from './stores/stores';

const never = new AbortController().signal;
const windowMs = 60_000;

function marksOver(store: DedupStore | false | undefined, groupId = 'dedup-group') {
  const { service, counted } = quickServiceCalls(2);
  return { dedup: new DedupMarks({ store, windowMs, service, groupId }), counted };
}

/** A store of the user's, remembering every call; `failures` are thrown by the next calls. */
function recordingStore() {
  const marked = new Set<string>();
  const calls: { seen: string[][]; mark: { keys: string[]; ttlMs: number }[]; close: number } = {
    seen: [],
    mark: [],
    close: 0,
  };
  const failures: unknown[] = [];
  const store: DedupStore = {
    async seen(keys) {
      calls.seen.push([...keys]);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return keys.map((key) => marked.has(key));
    },
    async mark(keys, ttlMs) {
      calls.mark.push({ keys: [...keys], ttlMs });
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      for (const key of keys) marked.add(key);
    },
    async close() {
      calls.close += 1;
    },
  };
  return { store, calls, failures };
}

const items = (...keys: string[]) => keys.map((dedupKey) => workItem({ dedupKey }));

afterEach(() => {
  vi.useRealTimers();
});

describe('DedupMarks: in process (the default)', () => {
  it('remembers events marked done, and nothing else', async () => {
    const { dedup } = marksOver(undefined);
    expect(await dedup.marked(items('a', 'b'), never)).toEqual([false, false]);
    await dedup.markDone(items('a'), never);
    expect(await dedup.marked(items('a', 'b', 'a'), never)).toEqual([true, false, true]);
  });

  it('exposes its marks for synchronous use, by the key as given', () => {
    const { dedup } = marksOver(undefined);
    expect(dedup.local).toBeDefined();
    // No await: in process, the marks are written before markDone returns its promise.
    void dedup.markDone(items('a'), never);
    expect(dedup.local?.has('a')).toBe(true);
    expect(dedup.local?.has(dedup.storeKey('a'))).toBe(false);
  });

  it('forgets a mark once its window has passed', async () => {
    vi.useFakeTimers();
    const { dedup } = marksOver(undefined);
    expect(dedup.windowMs).toBe(windowMs);
    await dedup.markDone(items('a'), never);
    vi.advanceTimersByTime(windowMs - 1);
    expect(await dedup.marked(items('a'), never)).toEqual([true]);
    vi.advanceTimersByTime(1);
    expect(await dedup.marked(items('a'), never)).toEqual([false]);
  });

  it('closes the marks it owns', async () => {
    const { dedup } = marksOver(undefined);
    await dedup.markDone(items('a'), never);
    await dedup.close();
    expect(dedup.local?.has('a')).toBe(false);
  });
});

describe('DedupMarks: a store of the user', () => {
  it('asks the store with keys namespaced by the consumer group', async () => {
    const { store, calls } = recordingStore();
    const { dedup } = marksOver(store, 'orders-table');
    expect(dedup.local).toBeUndefined();
    expect(dedup.storeKey('e-1')).toBe('orders-table\u0000e-1');
    expect(marksOver(store, 'other-group').dedup.storeKey('e-1')).not.toBe(dedup.storeKey('e-1'));
    await dedup.markDone(items('e-1'), never);
    expect(calls.mark).toEqual([{ keys: ['orders-table\u0000e-1'], ttlMs: windowMs }]);
    expect(await dedup.marked(items('e-1', 'e-2'), never)).toEqual([true, false]);
    expect(calls.seen).toEqual([['orders-table\u0000e-1', 'orders-table\u0000e-2']]);
  });

  it('coalesces the calls of one turn into one round trip, answering each caller', async () => {
    const { store, calls } = recordingStore();
    const { dedup } = marksOver(store);
    await dedup.markDone(items('a'), never);
    const [first, second] = await Promise.all([
      dedup.marked(items('a', 'b'), never),
      dedup.marked(items('c', 'a'), never),
    ]);
    expect(first).toEqual([true, false]);
    expect(second).toEqual([false, true]);
    expect(calls.seen).toHaveLength(1);
    await Promise.all([dedup.markDone(items('x'), never), dedup.markDone(items('y', 'z'), never)]);
    expect(calls.mark).toHaveLength(2);
    expect(calls.mark[1]?.keys).toHaveLength(3);
  });

  it('does not call the store to mark nothing', async () => {
    const { store, calls } = recordingStore();
    const { dedup } = marksOver(store);
    await dedup.markDone([], never);
    expect(calls.mark).toEqual([]);
  });

  it('leaves the store open on close: it is the user’s', async () => {
    const { store, calls } = recordingStore();
    const { dedup } = marksOver(store);
    await dedup.close();
    expect(calls.close).toBe(0);
  });

  it('retries a retryable store failure', async () => {
    const { store, calls, failures } = recordingStore();
    const { dedup, counted } = marksOver(store);
    failures.push(new InletError(StoreErrorCode.storeUnavailable, 'ECONNRESET', { retryable: true }));
    expect(await dedup.marked(items('a'), never)).toEqual([false]);
    expect(calls.seen).toHaveLength(2);
    expect(counted.retries).toBe(1);
  });

  it('fails with ConsumerFailedError when the store keeps failing, or fails for good', async () => {
    const { store, failures } = recordingStore();
    const { dedup } = marksOver(store);
    const down = new InletError(StoreErrorCode.storeUnavailable, 'ECONNREFUSED', { retryable: true });
    failures.push(down, down, down);
    const seenError = await dedup.marked(items('a'), never).catch((error: unknown) => error);
    expect(seenError).toBeInstanceOf(ConsumerFailedError);
    expect(seenError).toMatchObject({ code: StoreErrorCode.storeUnavailable });
    expect((seenError as Error).message).toContain('dedup store seen failed after 3 attempts');
    failures.push(new InletError(StoreErrorCode.storeFailed, 'permission denied'));
    const markError = await dedup.markDone(items('a'), never).catch((error: unknown) => error);
    expect(markError).toBeInstanceOf(ConsumerFailedError);
    expect((markError as Error).message).toContain('dedup store mark failed after 1 attempt');
  });
});

describe('DedupMarks: off', () => {
  it('finds nothing marked and keeps no marks', async () => {
    const { dedup } = marksOver(false);
    expect(dedup.local).toBeUndefined();
    await dedup.markDone(items('a'), never);
    expect(await dedup.marked(items('a', 'b'), never)).toEqual([false, false]);
    await expect(dedup.close()).resolves.toBeUndefined();
  });
});
