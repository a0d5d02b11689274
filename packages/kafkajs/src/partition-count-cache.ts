interface CachedCount {
  readonly count: number;
  readonly expiresAt: number;
}

/**
 * Partition counts per topic, as the producer's partitioner needs them: cached for `maxAgeMs`
 * (partitions can be added to a topic), refreshed on demand, one lookup per topic at a time.
 */
export class PartitionCountCache {
  readonly #lookup: (topic: string) => Promise<number>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #counts = new Map<string, CachedCount>();
  readonly #pending = new Map<string, Promise<number>>();

  constructor(lookup: (topic: string) => Promise<number>, maxAgeMs = 300_000, now: () => number = Date.now) {
    this.#lookup = lookup;
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  get(topic: string): Promise<number> {
    const cached = this.#counts.get(topic);
    if (cached !== undefined && cached.expiresAt > this.#now()) return Promise.resolve(cached.count);
    return this.#fetch(topic);
  }

  refresh(topic: string): Promise<number> {
    this.invalidate(topic);
    return this.#fetch(topic);
  }

  invalidate(topic: string): void {
    this.#counts.delete(topic);
  }

  #fetch(topic: string): Promise<number> {
    const pending = this.#pending.get(topic);
    if (pending !== undefined) return pending;
    const lookup = this.#lookup(topic)
      .then((count) => {
        this.#counts.set(topic, { count, expiresAt: this.#now() + this.#maxAgeMs });
        return count;
      })
      .finally(() => this.#pending.delete(topic));
    this.#pending.set(topic, lookup);
    return lookup;
  }
}
