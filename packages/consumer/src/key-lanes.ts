/**
 * Per-key lanes: items with the same lane key run one at a time, in the order they were pushed;
 * different lanes run concurrently up to a limit. A lane that has more to do after an item goes
 * to the back of the ready queue, so one busy key cannot starve the others.
 */
export class KeyLanes<TItem> {
  readonly #lanes = new Map<string, TItem[]>();
  readonly #running = new Map<string, TItem>();
  #ready: string[] = [];
  #readyHead = 0;
  readonly #maxConcurrency: number;
  readonly #run: (item: TItem) => Promise<TItem>;
  readonly #laneKeyOf: (item: TItem) => string;
  /** One function for every item's end, so that none is made per item. */
  readonly #onRunEnded = (item: TItem) => this.#finished(this.#laneKeyOf(item));
  #idleWaiters: (() => void)[] = [];
  #queuedItems = 0;
  #stopped = false;

  /**
   * `run` resolves with the item it was given, once done, and never rejects (it reports its own
   * errors); `laneKeyOf` gives an item's lane.
   */
  constructor(
    maxConcurrency: number,
    laneKeyOf: (item: TItem) => string,
    run: (item: TItem) => Promise<TItem>,
  ) {
    this.#maxConcurrency = maxConcurrency;
    this.#laneKeyOf = laneKeyOf;
    this.#run = run;
  }

  /** Items queued and not started. */
  get queued(): number {
    return this.#queuedItems;
  }

  /** Lanes with an item running now. */
  get running(): number {
    return this.#running.size;
  }

  /** The items running now (for reports; not on any hot path). */
  runningItems(): IterableIterator<TItem> {
    return this.#running.values();
  }

  /** Queues an item; returns false (and queues nothing) once the lanes are stopped. */
  push(item: TItem): boolean {
    if (this.#stopped) return false;
    const laneKey = this.#laneKeyOf(item);
    let lane = this.#lanes.get(laneKey);
    if (lane === undefined) {
      lane = [];
      this.#lanes.set(laneKey, lane);
      if (!this.#running.has(laneKey)) this.#ready.push(laneKey);
    }
    lane.push(item);
    this.#queuedItems += 1;
    this.#startMore();
    return true;
  }

  /**
   * Starts nothing more, ever: removes every queued item and returns them. Running items finish;
   * `idle()` resolves when they have.
   */
  stop(): TItem[] {
    this.#stopped = true;
    return this.drop(() => true);
  }

  /** Removes queued (not started) items that match; running ones are not touched. */
  drop(matches: (item: TItem) => boolean): TItem[] {
    const dropped: TItem[] = [];
    for (const [laneKey, lane] of this.#lanes) {
      const kept = lane.filter((item) => {
        if (!matches(item)) return true;
        dropped.push(item);
        return false;
      });
      if (kept.length === 0) this.#lanes.delete(laneKey);
      else this.#lanes.set(laneKey, kept);
    }
    this.#queuedItems -= dropped.length;
    this.#ready = this.#ready.slice(this.#readyHead).filter((laneKey) => this.#lanes.has(laneKey));
    this.#readyHead = 0;
    this.#notifyIfIdle();
    return dropped;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#queuedItems === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #startMore(): void {
    while (
      !this.#stopped &&
      this.#running.size < this.#maxConcurrency &&
      this.#readyHead < this.#ready.length
    ) {
      const laneKey = this.#ready[this.#readyHead] as string;
      this.#readyHead += 1;
      const lane = this.#lanes.get(laneKey);
      if (lane === undefined || lane.length === 0 || this.#running.has(laneKey)) continue;
      const item = lane.shift() as TItem;
      this.#queuedItems -= 1;
      if (lane.length === 0) this.#lanes.delete(laneKey);
      this.#running.set(laneKey, item);
      // A run that rejects would break its promise; it still frees its lane.
      void this.#run(item).then(this.#onRunEnded, () => this.#finished(laneKey));
    }
    if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
  }

  #finished(laneKey: string): void {
    this.#running.delete(laneKey);
    if (this.#lanes.has(laneKey)) this.#ready.push(laneKey);
    this.#startMore();
    this.#notifyIfIdle();
  }

  #notifyIfIdle(): void {
    if (this.#queuedItems !== 0 || this.#running.size !== 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
