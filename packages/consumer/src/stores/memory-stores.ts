import { LRUCache } from 'lru-cache';
import type { DedupStore, VersionStore } from './stores';

export interface MemoryDedupStoreOptions {
  /** The most keys remembered; the least recently marked go first. Default 1 000 000. */
  readonly maxEntries?: number;
}

/**
 * The default dedup store: in this process only, bounded by count and by each mark's time to
 * live. It does not survive a restart or follow a partition to another member: use the Redis or
 * PostgreSQL store for that.
 */
export function createMemoryDedupStore(options: MemoryDedupStoreOptions = {}): DedupStore & AsyncDisposable {
  const marks = new LRUCache<string, true>({ max: options.maxEntries ?? 1_000_000, ttlAutopurge: false });
  return {
    async seen(keys) {
      return keys.map((key) => marks.has(key));
    },
    async mark(keys, ttlMs) {
      for (const key of keys) marks.set(key, true, { ttl: ttlMs });
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
