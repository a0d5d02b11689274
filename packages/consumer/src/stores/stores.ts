/**
 * Where a consumer remembers which events it has handled (the dedup window). Keys are namespaced
 * by the consumer group before they get here.
 */
export interface DedupStore {
  /** For each key: was it marked, and has its mark not expired? */
  seen(keys: readonly string[]): Promise<boolean[]>;
  /** Marks keys as handled for `ttlMs`. Called only after the handler succeeded. */
  mark(keys: readonly string[], ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Where a consumer remembers the highest entity version it has handled per entity. */
export interface VersionStore {
  /** The highest version recorded for each entity key, or undefined. */
  latest(keys: readonly string[]): Promise<(number | undefined)[]>;
  /** Records versions, keeping the higher of the stored and the given one (atomically). */
  record(entries: readonly { readonly key: string; readonly version: number }[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs a handler's work and the dedup mark in one database transaction, so the effect and the
 * mark commit together or not at all. `TTransaction` is what the handler gets to write with.
 */
export interface TransactionalDedup<TTransaction> {
  /**
   * Marks `key` and runs `work` in one transaction. Resolves `duplicate` without running `work`
   * when the key is already marked (or another process holding it commits first); rolls back
   * and rethrows when `work` throws.
   */
  run(
    key: string,
    ttlMs: number,
    work: (transaction: TTransaction) => Promise<void>,
  ): Promise<'handled' | 'duplicate'>;
  /**
   * The same for a batch, in one transaction: marks those of `keys` not marked yet (or whose
   * mark expired), then runs `work` with the transaction and, per key, whether this call marked
   * it (`fresh`; a key repeated in `keys` is fresh at most once). Commits, and resolves `fresh`.
   * When no key is fresh, `work` does not run and nothing is written.
   */
  runBatch(
    keys: readonly string[],
    ttlMs: number,
    work: (transaction: TTransaction, fresh: readonly boolean[]) => Promise<void>,
  ): Promise<boolean[]>;
  close(): Promise<void>;
}
