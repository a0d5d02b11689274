import type { BatchControls } from '@inlet/core';

export interface InFlightLimitsOptions {
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** Stops fetching (every assigned partition). */
  readonly pause: () => void;
  /** Fetches again. */
  readonly resume: () => void;
}

/**
 * The backpressure stage: counts what was fetched and is not finished, pauses fetching above
 * the limits and resumes once half of them is free again (so that it does not flap), and holds
 * a delivered batch — heartbeating meanwhile, so slow handlers do not cost the membership —
 * while the consumer is over its limits.
 */
export class InFlightLimits {
  readonly #options: InFlightLimitsOptions;
  #events = 0;
  #bytes = 0;
  #paused = false;
  #stopped = false;
  readonly #roomWaiters: (() => void)[] = [];

  constructor(options: InFlightLimitsOptions) {
    this.#options = options;
  }

  get events(): number {
    return this.#events;
  }

  get bytes(): number {
    return this.#bytes;
  }

  overLimit(): boolean {
    return this.#events > this.#options.maxEvents || this.#bytes > this.#options.maxBytes;
  }

  /** Counts fetched work; pauses fetching when that puts the consumer over its limits. */
  add(events: number, bytes: number): void {
    this.#events += events;
    this.#bytes += bytes;
    if (!this.#paused && this.overLimit()) {
      this.#paused = true;
      this.#options.pause();
    }
  }

  /** Work finished (or dropped); resumes fetching once below half the limits. */
  release(events: number, bytes: number): void {
    this.#events -= events;
    this.#bytes -= bytes;
    if (!this.overLimit() && this.#roomWaiters.length > 0)
      for (const wake of this.#roomWaiters.splice(0)) wake();
    if (
      this.#paused &&
      this.#events <= this.#options.maxEvents / 2 &&
      this.#bytes <= this.#options.maxBytes / 2
    ) {
      this.#paused = false;
      if (!this.#stopped) this.#options.resume();
    }
  }

  /** Holds the caller while over the limits, heartbeating every second, until stopped or stale. */
  async waitForRoom(controls: BatchControls): Promise<void> {
    while (this.overLimit() && !this.#stopped && !controls.isStale()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.#roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await controls.heartbeat().catch(() => undefined);
    }
  }

  /** The consumer is closing: no more waiting, no more resuming. */
  stop(): void {
    this.#stopped = true;
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }
}
