import { abortedError } from '@inlet/core';

/**
 * Waits for `running`, or rejects with INLET_ABORTED as soon as `signal` fires. Kafka cannot
 * take back a request already sent, so the work itself goes on; only the wait is abandoned.
 */
export function abortable<T>(running: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return running;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(what, signal));
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener('abort', onAbort, { once: true });
    }
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
