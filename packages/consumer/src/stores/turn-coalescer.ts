interface PendingCall<TItem, TResult> {
  readonly items: readonly TItem[];
  readonly resolve: (results: TResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Merges the calls many concurrent handlers make in one turn of the event loop into one call of
 * `call` with all their items, and gives each caller back the results of its own items (in the
 * same order), or the error. A remote store then costs one round trip per turn, not one per event.
 * A `call` that throws synchronously fails its callers like one that rejects.
 */
export class TurnCoalescer<TItem, TResult> {
  readonly #call: (items: readonly TItem[]) => Promise<readonly TResult[] | undefined>;
  #queue: PendingCall<TItem, TResult>[] = [];
  #scheduled = false;

  /** `call` answers with one result per item, or with undefined when there is nothing to answer. */
  constructor(call: (items: readonly TItem[]) => Promise<readonly TResult[] | undefined>) {
    this.#call = call;
  }

  submit(items: readonly TItem[]): Promise<TResult[]> {
    return new Promise<TResult[]>((resolve, reject) => {
      this.#queue.push({ items, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const items =
      batch.length === 1
        ? (batch[0] as PendingCall<TItem, TResult>).items
        : batch.flatMap((pending) => pending.items);
    let answer: Promise<readonly TResult[] | undefined>;
    try {
      answer = this.#call(items);
    } catch (error) {
      answer = Promise.reject(error);
    }
    Promise.resolve(answer).then(
      (results) => {
        let offset = 0;
        for (const pending of batch) {
          pending.resolve(results === undefined ? [] : results.slice(offset, offset + pending.items.length));
          offset += pending.items.length;
        }
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  }
}
