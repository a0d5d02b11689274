import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { abortedError, InletErrorCode, InletValidationError, type ValidationIssue } from '@inlet/core';
import type { MonitorSnapshot } from './monitor-snapshot';
import { statusPageHtml } from './status-page/status-page-html';

export interface StatusServerOptions {
  /** The status to show; called once per `GET /api/status`. A throw or rejection answers 500. */
  readonly snapshot: () => MonitorSnapshot | Promise<MonitorSnapshot>;
  /** Prometheus text exposition for `GET /metrics`; without it `/metrics` answers 404. */
  readonly metricsText?: () => string | Promise<string>;
  /** The TCP port; 0 (the default) picks a free one, read it from `url`. */
  readonly port?: number;
  /** The interface to listen on; the default keeps the page on this machine. */
  readonly host?: string;
  /** Aborting closes the server, as `close()` does. */
  readonly signal?: AbortSignal;
}

export interface StatusServer extends AsyncDisposable {
  /** Where the page is, with a trailing slash: `http://127.0.0.1:41234/`. */
  readonly url: string;
  /**
   * Stops accepting connections and resolves once in-flight requests are answered (so a
   * `snapshot` that never settles holds it up). Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
}

const statusServerDefaults = { port: 0, host: '127.0.0.1' } as const;

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

// The page's promise in header form: inline style and script, requests only to this server.
const pageContentSecurityPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

/** Options with their defaults applied; validated when the server is created. */
interface ResolvedStatusServerOptions {
  readonly snapshot: StatusServerOptions['snapshot'];
  readonly metricsText: StatusServerOptions['metricsText'];
  readonly port: number;
  readonly host: string;
}

function resolveStatusServerOptions(options: StatusServerOptions): ResolvedStatusServerOptions {
  const issues: ValidationIssue[] = [];
  const port = options.port ?? statusServerDefaults.port;
  const host = options.host ?? statusServerDefaults.host;
  if (typeof options.snapshot !== 'function')
    issues.push({ path: '/snapshot', message: 'must be a function' });
  if (options.metricsText !== undefined && typeof options.metricsText !== 'function') {
    issues.push({ path: '/metricsText', message: 'must be a function' });
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    issues.push({ path: '/port', message: 'must be an integer from 0 to 65535' });
  }
  if (typeof host !== 'string' || host === '')
    issues.push({ path: '/host', message: 'must be a non-empty string' });
  if (issues.length > 0) {
    throw new InletValidationError(InletErrorCode.invalidOption, undefined, issues, {
      subject: 'status server options',
    });
  }
  return { snapshot: options.snapshot, metricsText: options.metricsText, port, host };
}

/**
 * Serves the status page on node:http: `GET /` the page, `GET /api/status` the snapshot as JSON,
 * `GET /metrics` Prometheus text when `metricsText` is given. Anything else is 404, or 405 on a
 * known path with a method other than GET or HEAD.
 */
export async function createStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const resolved = resolveStatusServerOptions(options);
  const { signal } = options;
  if (signal?.aborted) throw abortedError('starting the status server', signal);

  // Requests still being answered when close() is called get `connection: close`, so their
  // keep-alive connections end with the answer instead of holding close() up until they time out.
  const answering = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    answering.add(response);
    response.once('close', () => answering.delete(response));
    answer(resolved, request, response).catch((error: unknown) => {
      send(request, response, 500, 'text/plain; charset=utf-8', `internal error: ${messageOf(error)}\n`);
    });
  });
  server.listen(resolved.port, resolved.host);
  try {
    await once(server, 'listening', signal ? { signal } : {});
  } catch (error) {
    // Aborted mid-listen: the socket may still bind; close it when it does.
    if (server.listening) await closeServer(server);
    else server.once('listening', () => server.close());
    throw signal?.aborted ? abortedError('starting the status server', signal) : error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      for (const response of answering) if (!response.headersSent) response.setHeader('connection', 'close');
      await closeServer(server);
    })();
    return closing;
  };
  const onAbort = (): void => void close();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) void close();

  return {
    url: urlOf(server.address() as AddressInfo),
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  // Browsers hold keep-alive connections open between polls; idle ones would delay close().
  server.closeIdleConnections();
  await closed;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

type Route = 'page' | 'status' | 'metrics';

function routeOf(pathname: string): Route | undefined {
  if (pathname === '/' || pathname === '/index.html') return 'page';
  if (pathname === '/api/status') return 'status';
  if (pathname === '/metrics') return 'metrics';
  return undefined;
}

async function answer(
  options: ResolvedStatusServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const route = routeOf(new URL(request.url ?? '/', 'http://status.invalid').pathname);
  if (route === undefined || (route === 'metrics' && options.metricsText === undefined)) {
    return send(request, response, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(request, response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  switch (route) {
    case 'page':
      response.setHeader('content-security-policy', pageContentSecurityPolicy);
      return send(request, response, 200, 'text/html; charset=utf-8', statusPageHtml);
    case 'status':
      return answerStatus(options.snapshot, request, response);
    case 'metrics':
      return answerMetrics(options.metricsText, request, response);
  }
}

async function answerStatus(
  snapshot: ResolvedStatusServerOptions['snapshot'],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const json = 'application/json; charset=utf-8';
  let body: string;
  try {
    body = JSON.stringify(await snapshot());
  } catch (error) {
    return send(
      request,
      response,
      500,
      json,
      JSON.stringify({ error: `snapshot failed: ${messageOf(error)}` }),
    );
  }
  return send(request, response, 200, json, body);
}

async function answerMetrics(
  metricsText: ResolvedStatusServerOptions['metricsText'],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const text = 'text/plain; charset=utf-8';
  let body: string;
  try {
    body = (await metricsText?.()) ?? '';
  } catch (error) {
    return send(request, response, 500, text, `metrics failed: ${messageOf(error)}\n`);
  }
  return send(request, response, 200, 'text/plain; version=0.0.4; charset=utf-8', body);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  if (response.headersSent || response.destroyed) return;
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, {
    ...securityHeaders,
    'content-type': contentType,
    'content-length': String(bytes.byteLength),
  });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}
