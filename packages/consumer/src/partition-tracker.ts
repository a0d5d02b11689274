/**
 * The offsets of one partition that were handed out for handling, in order, and which of them
 * are done. The committable offset is the lowest one not yet done: committing it never skips an
 * unfinished record, however the records of different keys finish. Once all are done it is where
 * the partition was fetched up to, which can be past the last record handed out: transaction
 * markers and aborted records take offsets too, and are never handed out.
 */
export class PartitionTracker {
  #offsets: number[] = [];
  #done: boolean[] = [];
  #head = 0;
  #nextAfterLast: number | undefined;

  /** Records an offset handed out for handling; offsets come in ascending order. */
  add(offset: number): void {
    this.#offsets.push(offset);
    this.#done.push(false);
    this.#nextAfterLast = offset + 1;
  }

  /** Marks an offset done (handled, skipped as a duplicate or stale, or dead-lettered). */
  complete(offset: number): void {
    const index = this.#indexOf(offset);
    if (index === undefined) return;
    this.#done[index] = true;
    while (this.#head < this.#offsets.length && this.#done[this.#head]) this.#head += 1;
    if (this.#head > 4096 && this.#head * 2 > this.#offsets.length) {
      this.#offsets = this.#offsets.slice(this.#head);
      this.#done = this.#done.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The partition was fetched up to `nextOffset` (exclusive): every offset below it that was not
   * handed out is nothing to handle. Calls come in fetch order, after the batch's `add`s.
   */
  fetchedUpTo(nextOffset: number): void {
    if (this.#nextAfterLast === undefined || nextOffset > this.#nextAfterLast)
      this.#nextAfterLast = nextOffset;
  }

  /** The offset to commit: the first not done, or where the partition was fetched up to. */
  committable(): number | undefined {
    if (this.#head < this.#offsets.length) return this.#offsets[this.#head];
    return this.#nextAfterLast;
  }

  /** Offsets handed out and not yet done. */
  pending(): number {
    let count = 0;
    for (let index = this.#head; index < this.#offsets.length; index += 1) if (!this.#done[index]) count += 1;
    return count;
  }

  #indexOf(offset: number): number | undefined {
    // Offsets are ascending: binary search in the live part.
    let low = this.#head;
    let high = this.#offsets.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.#offsets[middle] as number;
      if (value === offset) return middle;
      if (value < offset) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }
}
