/**
 * The seeks kafkajs may not have applied yet, per partition. kafkajs moves past a fetched batch
 * that it filtered down to nothing (transaction markers, aborted records) by itself, without
 * calling eachBatch, and the event that tells of it does not say whether a seek made the batch
 * stale, as `payload.isStale()` does for the batches eachBatch gets. So a seek is remembered until
 * kafkajs shows it applied it: eachBatch gets a batch with no seek pending, or a filtered batch
 * starts at the sought offset. Until then a filtered batch of that partition is not trusted.
 */
export class SoughtPositions {
  readonly #pending = new Map<string, string>();

  sought(partitionKey: string, offset: string): void {
    this.#pending.set(partitionKey, offset);
  }

  /** kafkajs has no seek of this partition pending (eachBatch said so). */
  applied(partitionKey: string): void {
    this.#pending.delete(partitionKey);
  }

  /**
   * Whether a filtered batch whose first fetched offset is `firstOffset` (null when kafkajs kept
   * none) comes from the partition's current position; one that starts at the sought offset
   * shows the seek applied.
   */
  admitsFiltered(partitionKey: string, firstOffset: string | null): boolean {
    const sought = this.#pending.get(partitionKey);
    if (sought === undefined) return true;
    if (firstOffset !== sought) return false;
    this.#pending.delete(partitionKey);
    return true;
  }
}
