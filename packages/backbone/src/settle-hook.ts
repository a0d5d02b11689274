import { InletError, InletErrorCode } from '@inlet/core';

/** What a hook gave: its value, or nothing when it threw, rejected or ran out of time. */
export type HookOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

export interface SettleHookOptions {
  /** The hook's name, for the error reported. */
  readonly name: string;
  /** Stops waiting after this long; the hook itself cannot be stopped. */
  readonly timeoutMs?: number;
  readonly report: (error: InletError) => void;
}

/**
 * Runs a user's hook so that nothing it does reaches the transport: a synchronous throw or a
 * rejection is reported as INLET_HANDLER_FAILED, a hook still running after `timeoutMs` as
 * INLET_TIMEOUT, and the promise returned always resolves.
 */
export async function settleHook<T>(
  call: () => Promise<T> | T,
  options: SettleHookOptions,
): Promise<HookOutcome<T>> {
  const running = new Promise<T>((resolve) => resolve(call())).then(
    (value): HookOutcome<T> => ({ ok: true, value }),
    (cause: unknown): HookOutcome<T> => {
      options.report(new InletError(InletErrorCode.handlerFailed, `${options.name} failed`, { cause }));
      return { ok: false };
    },
  );
  const { timeoutMs } = options;
  if (timeoutMs === undefined) return running;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<HookOutcome<T>>((resolve) => {
    timer = setTimeout(() => {
      options.report(
        new InletError(
          InletErrorCode.timeout,
          `${options.name} did not settle within ${timeoutMs} ms; the consumer goes on without it`,
        ),
      );
      resolve({ ok: false });
    }, timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
