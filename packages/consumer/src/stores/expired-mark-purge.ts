export interface ExpiredMarkPurgeOptions {
  /** The least time between the starts of two purges. */
  readonly intervalMs: number;
  /** The most marks one purge deletes, so that it holds its row locks only briefly. */
  readonly batchSize: number;
  /** Deletes up to `limit` expired marks and resolves how many it deleted. */
  readonly purge: (limit: number) => Promise<number>;
  readonly now?: () => number;
}

/**
 * When to delete expired dedup marks from a table: on a mark, when the last purge started at
 * least `intervalMs` ago, in the background, one at a time. A purge that filled its batch leaves
 * more behind, so the next mark starts another at once. No timer: an idle consumer holds no
 * process open, and its expired rows wait for the next mark (`seen` ignores them meanwhile).
 */
export class ExpiredMarkPurge {
  readonly #options: ExpiredMarkPurgeOptions;
  readonly #now: () => number;
  #dueAt = Number.NEGATIVE_INFINITY;
  #running = false;

  constructor(options: ExpiredMarkPurgeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts a purge when one is due and none runs; returns it, or undefined. It never rejects: a
   * failed purge is tried again an interval later, and expired marks do no harm until then.
   */
  startIfDue(): Promise<void> | undefined {
    const startedAt = this.#now();
    if (this.#running || startedAt < this.#dueAt) return undefined;
    this.#running = true;
    const { intervalMs, batchSize, purge } = this.#options;
    return purge(batchSize)
      .then(
        (deleted) => {
          this.#dueAt = deleted >= batchSize ? startedAt : startedAt + intervalMs;
        },
        () => {
          this.#dueAt = startedAt + intervalMs;
        },
      )
      .finally(() => {
        this.#running = false;
      });
  }
}
