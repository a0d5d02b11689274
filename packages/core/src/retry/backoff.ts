/** The bounds of an exponential backoff. */
export interface BackoffBounds {
  /** The delay before the first retry. */
  readonly minDelayMs: number;
  /** No delay is longer than this. */
  readonly maxDelayMs: number;
}

/**
 * The delay before retry number `retry` (1 for the first): `minDelayMs` doubled for each retry
 * before it, capped at `maxDelayMs`, spread by ±20 % so that many clients retrying after one
 * outage do not all come back at the same instant.
 */
export function backoffDelayMs(
  retry: number,
  bounds: BackoffBounds,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(retry - 1, 30));
  const delay = Math.min(bounds.maxDelayMs, bounds.minDelayMs * 2 ** exponent);
  return Math.round(delay * (0.8 + random() * 0.4));
}

/** Resolves after `ms`, or at once when `signal` fires (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
