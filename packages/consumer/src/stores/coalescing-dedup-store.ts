import type { DedupStore, VersionStore } from './stores';
import { TurnCoalescer } from './turn-coalescer';

/**
 * A dedup store whose `seen` and `mark` calls from many concurrent handlers in one turn of the
 * event loop become one call each (one per time-to-live for marks). Results and errors go back
 * to each caller.
 */
export function coalescingDedupStore(store: DedupStore): DedupStore {
  const seen = new TurnCoalescer<string, boolean>((keys) => store.seen(keys));
  const marks = new Map<number, TurnCoalescer<string, never>>();
  return {
    seen: (keys) => seen.submit(keys),
    async mark(keys, ttlMs) {
      let coalescer = marks.get(ttlMs);
      if (coalescer === undefined) {
        coalescer = new TurnCoalescer<string, never>(async (all) => {
          await store.mark(all, ttlMs);
          return undefined;
        });
        marks.set(ttlMs, coalescer);
      }
      await coalescer.submit(keys);
    },
    close: () => store.close(),
  };
}

/** The same for a version store: one `latest` and one `record` call per turn. */
export function coalescingVersionStore(store: VersionStore): VersionStore {
  const latest = new TurnCoalescer<string, number | undefined>((keys) => store.latest(keys));
  const record = new TurnCoalescer<{ readonly key: string; readonly version: number }, never>(
    async (entries) => {
      await store.record(entries);
      return undefined;
    },
  );
  return {
    latest: (keys) => latest.submit(keys),
    async record(entries) {
      await record.submit(entries);
    },
    close: () => store.close(),
  };
}
