import { describe, expect, it } from 'vitest';
import { logHook, webhookHook } from './alert-hooks';
import type { AlertStatus } from './monitor-snapshot';

const change: AlertStatus = {
  rule: 'lag',
  flow: 'orders',
  state: 'firing',
  since: '2026-01-01T00:00:00.000Z',
  message: 'lag 9 events > 1',
  value: 9,
};

function fakeFetch(statuses: (number | Error)[]) {
  const calls: { url: string; body: string; signal: AbortSignal | undefined }[] = [];
  const send = (async (url: string, init: RequestInit) => {
    calls.push({ url, body: String(init.body), signal: init.signal ?? undefined });
    const next = statuses.shift() ?? 200;
    if (next instanceof Error) throw next;
    return new Response(null, { status: next });
  }) as unknown as typeof fetch;
  return { calls, send };
}

describe('webhookHook', () => {
  it('POSTs the change as JSON with a timeout signal and retries 5xx and network errors', async () => {
    const { calls, send } = fakeFetch([503, new Error('connection reset'), 200]);
    await webhookHook({ url: 'https://hooks.test/alert', fetch: send, retries: 2, retryDelayMs: 0 })(change);
    expect(calls).toHaveLength(3);
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual(change);
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('gives up after its retries with a typed error naming only the host', async () => {
    const { calls, send } = fakeFetch([500, 500, 500, 500]);
    const hook = webhookHook({
      url: 'https://hooks.test/secret-token',
      fetch: send,
      retries: 2,
      retryDelayMs: 0,
    });
    const failure = await Promise.resolve(hook(change)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'INLET_MONITOR_WEBHOOK_FAILED' });
    expect(String((failure as Error).message)).not.toContain('secret-token');
    expect(calls).toHaveLength(3);
  });

  it('does not retry a 4xx other than 429', async () => {
    const { calls, send } = fakeFetch([400]);
    const hook = webhookHook({ url: 'https://hooks.test/x', fetch: send, retries: 3, retryDelayMs: 0 });
    await expect(Promise.resolve(hook(change))).rejects.toMatchObject({
      code: 'INLET_MONITOR_WEBHOOK_FAILED',
    });
    expect(calls).toHaveLength(1);
  });

  it('refuses a URL that is not http(s), naming the option', () => {
    expect(() => webhookHook({ url: 'ftp://x' })).toThrow(/url/);
  });
});

describe('logHook', () => {
  it('warns on firing and informs on resolved', async () => {
    const lines: string[] = [];
    const logger = {
      debug: () => undefined,
      info: (message: string) => void lines.push(`info ${message}`),
      warn: (message: string) => void lines.push(`warn ${message}`),
      error: () => undefined,
    };
    const hook = logHook(logger);
    await hook(change);
    await hook({ ...change, state: 'resolved', message: 'lag within bounds' });
    expect(lines).toEqual(['warn alert firing: lag 9 events > 1', 'info alert resolved: lag within bounds']);
  });
});
