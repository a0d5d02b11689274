import { abortedError, throwIfAborted } from '@inlet/core';

/**
 * Settles with `work`, or rejects with INLET_ABORTED as soon as `signal` fires. The work itself
 * carries on (a query already sent is not cancelled on the server); its outcome is ignored.
 */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  throwIfAborted(signal, what);
  work.catch(() => {});
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortedError(what, signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
