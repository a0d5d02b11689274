import { closedError } from '@inlet/core';

/** Options of {@link createPeriodicSampler}. */
export interface PeriodicSamplerOptions<T> {
  /** One reading; `signal` fires when the sampler closes. */
  readonly read: (signal: AbortSignal) => Promise<T>;
  /** Between the end of one reading and the start of the next. */
  readonly intervalMs: number;
  /** A reading of the interval failed; sampling goes on. */
  readonly onError?: (error: unknown) => void;
  /** Names what closed in the error of a `sample()` after `close()`. */
  readonly subject: string;
  /** Aborting closes the sampler. */
  readonly signal?: AbortSignal;
}

export interface PeriodicSampler<T> {
  /** A reading that starts after this call: one in flight is waited for, then one more is taken. */
  sample(): Promise<T>;
  /** Stops the interval, fires the readings' signal, waits for them; idempotent. */
  close(): Promise<void>;
}

/** Reads on an interval, and on demand, never two readings at once. */
export function createPeriodicSampler<T>(options: PeriodicSamplerOptions<T>): PeriodicSampler<T> {
  const stop = new AbortController();
  let inFlight: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const readNow = (): Promise<T> => {
    inFlight = options.read(stop.signal).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const sample = (): Promise<T> => {
    if (closing !== undefined) return Promise.reject(closedError(options.subject));
    if (inFlight === undefined) return readNow();
    // The reading in flight began before this call; calls made meanwhile share the one after it.
    next ??= inFlight
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        if (closing !== undefined) throw closedError(options.subject);
        return readNow();
      });
    return next;
  };
  const schedule = () => {
    if (closing !== undefined) return;
    timer = setTimeout(() => {
      sample()
        .catch((error: unknown) => {
          if (closing === undefined) options.onError?.(error);
        })
        .finally(schedule);
    }, options.intervalMs);
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await next?.catch(() => undefined);
      await inFlight?.catch(() => undefined);
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) void close();
  else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
    schedule();
  }
  return { sample, close };
}
