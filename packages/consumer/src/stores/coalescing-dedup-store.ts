import type { DedupStore } from './stores';

interface Pending<T> {
  readonly keys: readonly string[];
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Merges the `seen` and `mark` calls that many concurrent handlers make in the same turn of the
 * event loop into one call each, so a remote store costs one round trip per turn rather than
 * two per event. Results and errors go back to each caller.
 */
export function coalescingDedupStore(store: DedupStore): DedupStore {
  let seenQueue: Pending<boolean[]>[] = [];
  const markQueues = new Map<number, Pending<void>[]>();
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const seenBatch = seenQueue;
    seenQueue = [];
    if (seenBatch.length > 0) {
      store.seen(seenBatch.flatMap((pending) => pending.keys)).then(
        (results) => {
          let offset = 0;
          for (const pending of seenBatch) {
            pending.resolve(results.slice(offset, offset + pending.keys.length));
            offset += pending.keys.length;
          }
        },
        (error: unknown) => {
          for (const pending of seenBatch) pending.reject(error);
        },
      );
    }
    const marks = [...markQueues];
    markQueues.clear();
    for (const [ttlMs, batch] of marks) {
      store
        .mark(
          batch.flatMap((pending) => pending.keys),
          ttlMs,
        )
        .then(
          () => {
            for (const pending of batch) pending.resolve();
          },
          (error: unknown) => {
            for (const pending of batch) pending.reject(error);
          },
        );
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    seen(keys) {
      return new Promise<boolean[]>((resolve, reject) => {
        seenQueue.push({ keys, resolve, reject });
        schedule();
      });
    },
    mark(keys, ttlMs) {
      return new Promise<void>((resolve, reject) => {
        const queue = markQueues.get(ttlMs) ?? [];
        queue.push({ keys, resolve, reject });
        markQueues.set(ttlMs, queue);
        schedule();
      });
    },
    close: () => store.close(),
  };
}
