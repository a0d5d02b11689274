/**
 * Tells an in-flight batch whether its partition moved under it: a seek moves one partition,
 * a rebalance (or a crash, or close) moves them all. A batch takes a snapshot when it starts.
 */
export class BatchStaleness {
  #generation = 0;
  readonly #epochs = new Map<string, number>();

  snapshot(partitionKey: string): () => boolean {
    const generation = this.#generation;
    const epoch = this.#epochs.get(partitionKey) ?? 0;
    return () => generation !== this.#generation || epoch !== (this.#epochs.get(partitionKey) ?? 0);
  }

  partitionMoved(partitionKey: string): void {
    this.#epochs.set(partitionKey, (this.#epochs.get(partitionKey) ?? 0) + 1);
  }

  allMoved(): void {
    this.#generation += 1;
  }
}
