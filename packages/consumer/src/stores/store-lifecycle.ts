import { closedError } from '@inlet/core';

/**
 * Close-once bookkeeping for a store: calls run while it is open, `close` waits for the calls and
 * background tasks in flight, and after it every call fails with INLET_CLOSED.
 */
export class StoreLifecycle {
  readonly #resource: string;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(resource: string) {
    this.#resource = resource;
  }

  /** Runs `work` while open; `close` waits for it to settle. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) throw closedError(this.#resource);
    const running = work();
    this.#inFlight.add(running);
    try {
      return await running;
    } finally {
      this.#inFlight.delete(running);
    }
  }

  /** Keeps a background task (whose errors it handles itself) for `close` to wait for. */
  track(task: Promise<void>): void {
    this.#inFlight.add(task);
    void task.finally(() => this.#inFlight.delete(task));
  }

  close(): Promise<void> {
    this.#closing ??= this.#drain();
    return this.#closing;
  }

  async #drain(): Promise<void> {
    // A call finishing during the wait may start a background task: wait for those too.
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
