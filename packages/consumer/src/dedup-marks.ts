import type { ServiceCalls } from './retries';
import { coalescingDedupStore } from './stores/coalescing-dedup-store';
import { dedupStoreOver, MemoryDedupMarks } from './stores/memory-stores';
import type { DedupStore } from './stores/stores';
import type { WorkItem } from './work-item';

/**
 * The dedup stage: which events were done already (`marked`), and marking events done. Marks
 * are kept in this process by default, called synchronously on the per-event path (no promise
 * per event); a store given by the user may be remote, so its calls are coalesced per turn of the
 * event loop and run under the consumer's service retries. With transactional dedup the marks are
 * written in the handler's transaction instead, and this stage does nothing.
 */
export class DedupMarks {
  /** The in-process marks, when they are the store: callers may use them synchronously. */
  readonly local: MemoryDedupMarks | undefined;
  readonly #store: DedupStore | undefined;
  readonly #ownsStore: boolean;
  readonly #windowMs: number;
  readonly #service: ServiceCalls;
  readonly #groupId: string;

  constructor(options: {
    /** `undefined`: the default in-process marks; `false`: dedup off, or done transactionally. */
    readonly store: DedupStore | false | undefined;
    readonly windowMs: number;
    readonly service: ServiceCalls;
    readonly groupId: string;
  }) {
    const { store } = options;
    this.local = store === undefined ? new MemoryDedupMarks() : undefined;
    this.#ownsStore = store === undefined;
    this.#store =
      store === undefined
        ? dedupStoreOver(this.local as MemoryDedupMarks)
        : store === false
          ? undefined
          : coalescingDedupStore(store);
    this.#windowMs = options.windowMs;
    this.#service = options.service;
    this.#groupId = options.groupId;
  }

  /** An event's key in a store other groups may share: namespaced by this group. */
  storeKey(dedupKey: string): string {
    return `${this.#groupId}\u0000${dedupKey}`;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** Per item: is its dedup key marked (and the mark live)? */
  async marked(items: readonly WorkItem[], signal: AbortSignal): Promise<readonly boolean[]> {
    const { local } = this;
    if (local !== undefined) {
      const now = Date.now();
      return items.map((item) => local.has(item.dedupKey, now));
    }
    const store = this.#store;
    if (store === undefined) return items.map(() => false);
    return this.#service.call(
      'dedup store',
      'seen',
      () => store.seen(items.map((item) => this.storeKey(item.dedupKey))),
      signal,
    );
  }

  /** Marks items done: handled ones, and stale ones (so that their copies are duplicates). */
  async markDone(items: readonly WorkItem[], signal: AbortSignal): Promise<void> {
    if (items.length === 0) return;
    const { local } = this;
    if (local !== undefined) {
      const now = Date.now();
      for (const item of items) local.mark(item.dedupKey, this.#windowMs, now);
      return;
    }
    const store = this.#store;
    if (store === undefined) return;
    await this.#service.call(
      'dedup store',
      'mark',
      () =>
        store.mark(
          items.map((item) => this.storeKey(item.dedupKey)),
          this.#windowMs,
        ),
      signal,
    );
  }

  /** Closes the store the consumer made itself (the in-process marks); a user's store is the user's. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.#store?.close();
  }
}
