import type { IncomingMessage, ServerResponse } from 'node:http';

/** Something with Prometheus text: {@link InletMetrics} or a monitor. */
export interface MetricsSource {
  metricsText(): Promise<string> | string;
}

/**
 * A node:http request listener answering `GET /metrics` with the Prometheus text exposition;
 * every other path is 404 and every other method 405. Pass `next` to hand other paths on.
 */
export function createMetricsHandler(
  source: MetricsSource,
  next?: (request: IncomingMessage, response: ServerResponse) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      if (next !== undefined) return next(request, response);
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    Promise.resolve()
      .then(() => source.metricsText())
      .then(
        (body) => {
          response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          response.end(request.method === 'HEAD' ? undefined : body);
        },
        () => {
          response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
  };
}
