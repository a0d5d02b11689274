/** The values seen in the last `windowMs` (at most `capacity`), for quantiles and rates. */
export class RecentValues {
  readonly #windowMs: number;
  readonly #capacity: number;
  #entries: { at: number; value: number }[] = [];

  constructor(windowMs: number, capacity = 4096) {
    this.#windowMs = windowMs;
    this.#capacity = capacity;
  }

  add(at: number, value: number): void {
    this.#entries.push({ at, value });
    if (this.#entries.length > this.#capacity) this.#entries.shift();
  }

  #prune(now: number): void {
    const from = now - this.#windowMs;
    let drop = 0;
    while (drop < this.#entries.length && (this.#entries[drop] as { at: number }).at < from) drop += 1;
    if (drop > 0) this.#entries = this.#entries.slice(drop);
  }

  /** The q-quantile (0..1, nearest rank) of the recent values; null when there are none. */
  quantile(now: number, q: number): number | null {
    this.#prune(now);
    if (this.#entries.length === 0) return null;
    const sorted = this.#entries.map((entry) => entry.value).sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank] as number;
  }

  /** Values per second over the window. */
  ratePerSecond(now: number): number {
    this.#prune(now);
    return this.#entries.length / (this.#windowMs / 1000);
  }

  /** When the latest value came; undefined when none did. */
  lastAt(): number | undefined {
    return this.#entries.at(-1)?.at;
  }
}
