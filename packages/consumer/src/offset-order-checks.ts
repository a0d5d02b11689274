/** How the checks before the handler came out for one event. */
export type CheckOutcome = 'duplicate' | 'stale' | 'fresh';

/** What the checks need to know of an event. */
export interface CheckedEvent {
  /** The group-namespaced dedup key. */
  readonly dedupKey: string;
  /** The version-store key of its entity, when a version gate is on and the event has a version. */
  readonly versionKey: string | undefined;
  readonly entityVersion: number | undefined;
}

/**
 * The checks every event goes through before its handler, in one order in every mode: an event
 * whose dedup key is marked already (or was done earlier in the same batch) is a **duplicate**;
 * otherwise one whose entity version is not newer than the last handled version of its entity
 * (in the store, or handled earlier in the batch) is **stale**; otherwise it is **fresh** and goes
 * to the handler. Stale events are marked like handled ones, so that their copies are duplicates.
 *
 * One instance checks one batch in offset order, as if its events came one at a time: the caller
 * reports each outcome as it happens (`handled`, `skipped`), so later events see earlier ones.
 */
export class OffsetOrderChecks {
  readonly #done = new Set<string>();
  readonly #latest = new Map<string, number>();

  /**
   * `storedLatest` gives, per version key, the highest version the version store had when the
   * batch began (absent: none).
   */
  constructor(storedLatest: ReadonlyMap<string, number | undefined> = new Map()) {
    for (const [key, version] of storedLatest) if (version !== undefined) this.#latest.set(key, version);
  }

  /** The outcome for the next event, given whether its dedup key was marked in the store. */
  check(event: CheckedEvent, markedInStore: boolean): CheckOutcome {
    if (markedInStore || this.#done.has(event.dedupKey)) return 'duplicate';
    if (event.versionKey !== undefined && event.entityVersion !== undefined) {
      const latest = this.#latest.get(event.versionKey);
      if (latest !== undefined && event.entityVersion <= latest) return 'stale';
    }
    return 'fresh';
  }

  /** The event was handled: its copies are duplicates, and older versions of its entity stale. */
  handled(event: CheckedEvent): void {
    this.#done.add(event.dedupKey);
    if (event.versionKey !== undefined && event.entityVersion !== undefined) {
      const latest = this.#latest.get(event.versionKey);
      if (latest === undefined || event.entityVersion > latest)
        this.#latest.set(event.versionKey, event.entityVersion);
    }
  }

  /** The event was skipped as stale: its copies are duplicates. */
  skipped(event: CheckedEvent): void {
    this.#done.add(event.dedupKey);
  }
}
