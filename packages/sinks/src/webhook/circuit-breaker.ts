export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed requests that open the circuit. */
  readonly failureThreshold: number;
  /** How long it stays open before one probe may go through (half-open). */
  readonly resetAfterMs: number;
}

/** Whether a request may go out now; if not, how long until asking again may help. */
export type CircuitPermit =
  | { readonly allowed: true; readonly probe: boolean }
  | { readonly allowed: false; readonly retryInMs: number };

/**
 * Closed: requests go out, consecutive failures are counted. Open (after `failureThreshold` of
 * them): none go out until `resetAfterMs` has passed. Half-open: one probe goes out; its success
 * closes the circuit, its failure opens it again for another `resetAfterMs`. Time is read from
 * `Date.now`, so it has no timers of its own.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;
  #changed = signalled();

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  state(): CircuitState {
    if (this.#openedAt === undefined) return 'closed';
    return Date.now() - this.#openedAt >= this.#options.resetAfterMs ? 'half-open' : 'open';
  }

  /** Consecutive failures counted while closed. */
  get failures(): number {
    return this.#failures;
  }

  /** Asks to send a request; a permitted probe must be followed by `succeeded` or `failed`. */
  permit(): CircuitPermit {
    const state = this.state();
    if (state === 'closed') return { allowed: true, probe: false };
    if (state === 'open') {
      return {
        allowed: false,
        retryInMs: (this.#openedAt as number) + this.#options.resetAfterMs - Date.now(),
      };
    }
    if (this.#probing) return { allowed: false, retryInMs: this.#options.resetAfterMs };
    this.#probing = true;
    return { allowed: true, probe: true };
  }

  /** A request got an answer that shows the receiver works (2xx, or a 4xx about the request). */
  succeeded(): void {
    const wasClosed = this.#openedAt === undefined;
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
    if (!wasClosed) this.#notify();
  }

  /** A request failed in a way that says the receiver is unwell (5xx, 429, a timeout, no connection). */
  failed(probe: boolean): void {
    if (probe) {
      this.#probing = false;
      this.#openedAt = Date.now();
      this.#notify();
      return;
    }
    // A request that was already in flight when the circuit opened does not extend it.
    if (this.#openedAt !== undefined) return;
    this.#failures += 1;
    if (this.#failures >= this.#options.failureThreshold) {
      this.#openedAt = Date.now();
      this.#notify();
    }
  }

  /** Resolves at the next change of state. */
  changed(): Promise<void> {
    return this.#changed.promise;
  }

  #notify(): void {
    this.#changed.resolve();
    this.#changed = signalled();
  }
}

// Promise.withResolvers is Node 22+.
function signalled(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
