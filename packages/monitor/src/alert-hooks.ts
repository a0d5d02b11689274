import { checkOptions, InletError, type InletLogger, option, required, sleep } from '@inlet/core';
import type { AlertHook } from './alerts';
import { MonitorErrorCode } from './monitor-error-code';

/** Options of {@link webhookHook}. */
export interface WebhookHookOptions {
  /** Where each change is POSTed as JSON (an {@link AlertStatus}). */
  readonly url: string;
  /** Per attempt; default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Attempts after the first; default 2. */
  readonly retries?: number;
  /** Delay before the first retry, doubled each time; default 500 ms. */
  readonly retryDelayMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** For tests; default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

const webhookOptionShape = {
  url: required(
    option.custom('an http(s) URL', (value) => typeof value === 'string' && /^https?:\/\//.test(value)),
  ),
  timeoutMs: option.integer({ min: 1 }),
  retries: option.integer({ min: 0, max: 10 }),
  retryDelayMs: option.integer({ min: 0 }),
  headers: option.custom(
    'an object of header strings',
    (value) => typeof value === 'object' && value !== null,
  ),
  fetch: option.function('a fetch function'),
};

/**
 * POSTs each change as JSON. A 2xx answers it; a network error, timeout, 429 or 5xx is retried
 * (bounded); other statuses fail at once. Gives up with INLET_MONITOR_WEBHOOK_FAILED.
 */
export function webhookHook(options: WebhookHookOptions): AlertHook {
  checkOptions('webhookHook', options, webhookOptionShape);
  const send = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 500;
  // The URL may carry a token: errors name the host only.
  const host = new URL(options.url).host;
  return async (change) => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      if (attempt > 0) await sleep(retryDelayMs * 2 ** (attempt - 1));
      try {
        const response = await send(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body: JSON.stringify(change),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) return;
        lastError = new Error(`status ${response.status}`);
        if (response.status !== 429 && response.status < 500) break;
      } catch (error) {
        lastError = error;
      }
    }
    throw new InletError(
      MonitorErrorCode.webhookFailed,
      `alert webhook to ${host} failed: ${String(lastError)}`,
      {
        cause: lastError,
      },
    );
  };
}

/** Logs each change: `warn` when it fires, `info` when it resolves. */
export function logHook(logger: InletLogger): AlertHook {
  return (change) => {
    const fields = { rule: change.rule, flow: change.flow, value: change.value, since: change.since };
    if (change.state === 'firing') logger.warn(`alert firing: ${change.message}`, fields);
    else logger.info(`alert resolved: ${change.message}`, fields);
  };
}
