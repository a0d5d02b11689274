import { InletError, InletErrorCode } from '@inlet/core';
import { LRUCache } from 'lru-cache';
import { ttlMillis } from './store-arguments';
import type { DedupStore, VersionStore } from './stores';

export interface MemoryDedupStoreOptions {
  /** The most keys remembered; the least recently marked go first. Default 1 000 000. */
  readonly maxEntries?: number;
}

/**
 * Dedup marks in this process: each key with the instant its mark expires, in a `Map` kept in
 * the order keys were last marked, so the least recently marked is always first and eviction by
 * count is O(1). Memory grows with use rather than being set aside for the bound up front (as
 * an LRU cache sized for a million keys does, per consumer), and calls are synchronous so the
 * consumer's default path makes no promise per event.
 */
export class MemoryDedupMarks {
  /**
   * Each key with its expiry, as milliseconds after `#base`: small integers, which V8 keeps in
   * the map as they are, where epoch milliseconds would each take a heap-allocated number, one
   * more object per mark for the collector to carry for the whole window.
   */
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  #base = Date.now();
  #marksSinceSweep = 0;

  constructor(maxEntries = 1_000_000) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new InletError(
        InletErrorCode.invalidOption,
        `maxEntries must be a positive whole number, got ${String(maxEntries)}`,
      );
    }
    this.#maxEntries = maxEntries;
  }

  has(key: string, now = Date.now()): boolean {
    const expiry = this.#expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > now - this.#base) return true;
    this.#expiries.delete(key);
    return false;
  }

  mark(key: string, ttlMs: number, now = Date.now()): void {
    this.#expiries.delete(key);
    this.markUnmarked(key, ttlMs, now);
  }

  /**
   * `mark` for a key the caller just found unmarked (`has` was false, and no copy could mark it
   * since): one lookup fewer on the per-event path.
   */
  markUnmarked(key: string, ttlMs: number, now = Date.now()): void {
    this.#expiries.set(key, now - this.#base + ttlMillis(ttlMs));
    // Over the bound, drop from the front at once; expired marks there go every so many marks
    // (`has` ignores them meanwhile), not on every call: the per-event path stays allocation-free.
    if (this.#expiries.size <= this.#maxEntries && ++this.#marksSinceSweep < 256) return;
    this.#sweep(now);
  }

  clear(): void {
    this.#expiries.clear();
  }

  #sweep(now: number): void {
    this.#marksSinceSweep = 0;
    const relativeNow = now - this.#base;
    for (const [first, expiry] of this.#expiries) {
      if (this.#expiries.size <= this.#maxEntries && expiry > relativeNow) break;
      this.#expiries.delete(first);
    }
    // After about twelve days the offsets would outgrow small integers: start again from now
    // (rewriting every value keeps the map's order).
    if (relativeNow > 2 ** 30) {
      for (const [key, expiry] of this.#expiries) this.#expiries.set(key, expiry - relativeNow);
      this.#base = now;
    }
  }
}

/**
 * The default dedup store: in this process only, bounded by count and by each mark's time to
 * live. It does not survive a restart or follow a partition to another member: use the Redis or
 * PostgreSQL store for that.
 */
export function createMemoryDedupStore(options: MemoryDedupStoreOptions = {}): DedupStore & AsyncDisposable {
  return dedupStoreOver(new MemoryDedupMarks(options.maxEntries));
}

/** The {@link DedupStore} interface over marks the caller may also use directly. */
export function dedupStoreOver(marks: MemoryDedupMarks): DedupStore & AsyncDisposable {
  return {
    async seen(keys) {
      const now = Date.now();
      return keys.map((key) => marks.has(key, now));
    },
    async mark(keys, ttlMs) {
      const now = Date.now();
      for (const key of keys) marks.mark(key, ttlMs, now);
    },
    async close() {
      marks.clear();
    },
    async [Symbol.asyncDispose]() {
      marks.clear();
    },
  };
}

/** Entity versions in this process only, bounded by count. */
export function createMemoryVersionStore(
  options: { readonly maxEntries?: number } = {},
): VersionStore & AsyncDisposable {
  const versions = new LRUCache<string, number>({ max: options.maxEntries ?? 1_000_000 });
  return {
    async latest(keys) {
      return keys.map((key) => versions.get(key));
    },
    async record(entries) {
      for (const { key, version } of entries) {
        const current = versions.get(key);
        if (current === undefined || version > current) versions.set(key, version);
      }
    },
    async close() {
      versions.clear();
    },
    async [Symbol.asyncDispose]() {
      versions.clear();
    },
  };
}
