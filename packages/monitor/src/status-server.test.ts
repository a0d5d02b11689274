import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import type { MonitorSnapshot } from './monitor-snapshot';
import { statusSnapshot } from './status-page/status-snapshot.fixture';
import { createStatusServer } from './status-server';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createStatusServer', () => {
  it('listens on 127.0.0.1 and a free port by default', async () => {
    await using server = await createStatusServer({ snapshot: () => statusSnapshot({ lagEvents: 1 }) });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the self-contained page at /, with or without a query', async () => {
    await using server = await createStatusServer({ snapshot: () => statusSnapshot({ lagEvents: 1 }) });
    for (const path of ['', '?refresh=1']) {
      const response = await fetch(new URL(path, server.url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await response.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('data-testid="flows"');
      // Nothing is loaded from elsewhere: no external scripts, stylesheets or images.
      expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
      expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    }
  });

  it('answers HEAD with headers and no body', async () => {
    await using server = await createStatusServer({ snapshot: () => statusSnapshot({ lagEvents: 1 }) });
    const response = await fetch(server.url, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await response.text()).toBe('');
  });

  it('serves the current snapshot as JSON at /api/status, asking for it on every request', async () => {
    let lagEvents = 10;
    await using server = await createStatusServer({
      snapshot: async () => statusSnapshot({ lagEvents, now: 1_700_000_000_000 }),
    });
    const first = await fetch(new URL('api/status', server.url));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual(statusSnapshot({ lagEvents: 10, now: 1_700_000_000_000 }));
    lagEvents = 20;
    const second = (await (await fetch(new URL('api/status', server.url))).json()) as MonitorSnapshot;
    expect(second.flows[0]?.lagEvents).toBe(20);
  });

  it('answers 500 with the message when the snapshot throws or rejects, and keeps serving', async () => {
    let failure: 'throw' | 'reject' | undefined = 'throw';
    await using server = await createStatusServer({
      snapshot: () => {
        if (failure === 'throw') throw new Error('lag query timed out');
        if (failure === 'reject') return Promise.reject(new Error('admin client closed'));
        return statusSnapshot({ lagEvents: 1 });
      },
    });
    const statusUrl = new URL('api/status', server.url);
    const thrown = await fetch(statusUrl);
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toEqual({ error: 'snapshot failed: lag query timed out' });
    failure = 'reject';
    const rejected = await fetch(statusUrl);
    expect(rejected.status).toBe(500);
    expect(await rejected.json()).toEqual({ error: 'snapshot failed: admin client closed' });
    failure = undefined;
    expect((await fetch(statusUrl)).status).toBe(200);
  });

  it('serves Prometheus text at /metrics when given, 500 when it throws', async () => {
    let fail = false;
    await using server = await createStatusServer({
      snapshot: () => statusSnapshot({ lagEvents: 1 }),
      metricsText: async () => {
        if (fail) throw new Error('registry gone');
        return '# TYPE inlet_lag_events gauge\ninlet_lag_events{flow="a"} 3\n';
      },
    });
    const metricsUrl = new URL('metrics', server.url);
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toContain('inlet_lag_events{flow="a"} 3');
    fail = true;
    const failed = await fetch(metricsUrl);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('metrics failed: registry gone\n');
  });

  it('answers 404 for /metrics without metricsText and for unknown paths', async () => {
    await using server = await createStatusServer({ snapshot: () => statusSnapshot({ lagEvents: 1 }) });
    for (const path of ['metrics', 'api/status/extra', 'favicon.ico', 'api']) {
      const response = await fetch(new URL(path, server.url));
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });

  it('answers 405 with Allow for other methods on known paths', async () => {
    await using server = await createStatusServer({
      snapshot: () => statusSnapshot({ lagEvents: 1 }),
      metricsText: () => '',
    });
    for (const [method, path] of [
      ['POST', 'api/status'],
      ['DELETE', ''],
      ['PUT', 'metrics'],
    ] as const) {
      const response = await fetch(new URL(path, server.url), { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 405 });
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('close() waits for in-flight requests, is idempotent, and stops the server', async () => {
    const slow = deferred<MonitorSnapshot>();
    let asked = false;
    const server = await createStatusServer({
      snapshot: () => {
        asked = true;
        return slow.promise;
      },
    });
    const inFlight = fetch(new URL('api/status', server.url));
    await expect.poll(() => asked).toBe(true);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    expect(server.close()).toBe(server.close());
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    slow.resolve(statusSnapshot({ lagEvents: 7 }));
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as MonitorSnapshot).flows[0]?.lagEvents).toBe(7);
    await closing;
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('closes when its signal aborts', async () => {
    const controller = new AbortController();
    const server = await createStatusServer({
      snapshot: () => statusSnapshot({ lagEvents: 1 }),
      signal: controller.signal,
    });
    expect((await fetch(server.url)).status).toBe(200);
    controller.abort();
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('refuses an aborted signal and invalid options with typed errors', async () => {
    const snapshot = () => statusSnapshot({ lagEvents: 1 });
    const aborted = createStatusServer({ snapshot, signal: AbortSignal.abort() });
    await expect(aborted).rejects.toSatisfy((error) => InletError.hasCode(error, 'INLET_ABORTED'));
    const invalid = createStatusServer({ snapshot, port: 70_000, host: '' });
    await expect(invalid).rejects.toSatisfy(
      (error) => InletError.hasCode(error, 'INLET_INVALID_OPTION') && /\/port.*\/host/s.test(error.message),
    );
  });
});
