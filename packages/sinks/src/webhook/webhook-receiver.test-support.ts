import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookBody } from './webhook-body';

/** An entity as the receiver keeps it: applied only when newer, deletes keeping their version. */
export interface ReceivedEntity {
  readonly entityVersion: number | undefined;
  readonly data: unknown;
  readonly deleted: boolean;
}

/** One request as it arrived. */
export interface ReceivedRequest {
  readonly at: number;
  readonly idempotencyKey: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: WebhookBody | undefined;
}

/** What to answer instead of storing: a status (with headers and body), or never answering. */
export type ReceiverAnswer =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }
  | 'hang';

export interface WebhookReceiverOptions {
  /** Asked first for each request; undefined stores it as usual. */
  readonly answer?: (request: ReceivedRequest, index: number) => ReceiverAnswer | undefined;
  /** A reason to refuse a request (400) because of one of its events; undefined accepts it. */
  readonly refuse?: (event: WebhookBody['events'][number]) => string | undefined;
}

/**
 * An HTTP receiver for tests, on a port of its own (127.0.0.1, port 0), that stores events per
 * key the way a webhook receiver would: an older version never overwrites a newer one, deletes
 * keep their version, and a request whose idempotency key it has seen is answered 200 and
 * changes nothing.
 */
export interface WebhookReceiver {
  readonly url: string;
  readonly entities: ReadonlyMap<string, ReceivedEntity>;
  readonly requests: readonly ReceivedRequest[];
  /** Requests answered 2xx and applied (copies by idempotency key not counted). */
  readonly applied: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const entities = new Map<string, ReceivedEntity>();
  const requests: ReceivedRequest[] = [];
  const seenKeys = new Set<string>();
  let applied = 0;

  function apply(body: WebhookBody): void {
    for (const event of body.events) {
      const current = entities.get(event.key);
      if (
        current?.entityVersion !== undefined &&
        event.entityVersion !== undefined &&
        event.entityVersion < current.entityVersion
      )
        continue;
      entities.set(event.key, {
        entityVersion: event.entityVersion ?? current?.entityVersion,
        data: 'deleted' in event ? undefined : event.data,
        deleted: 'deleted' in event,
      });
    }
  }

  async function handle(message: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of message) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const header = message.headers['idempotency-key'];
    const request: ReceivedRequest = {
      at: performance.now(),
      idempotencyKey: typeof header === 'string' ? header : undefined,
      headers: message.headers,
      body: text === '' ? undefined : (JSON.parse(text) as WebhookBody),
    };
    const index = requests.push(request) - 1;
    const answer = options.answer?.(request, index);
    if (answer === 'hang') return;
    if (answer !== undefined) {
      response.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      return;
    }
    const body = request.body;
    if (body === undefined) {
      response.writeHead(400).end('no body');
      return;
    }
    const refusal = body.events
      .map((event) => options.refuse?.(event))
      .find((reason) => reason !== undefined);
    if (refusal !== undefined) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(refusal);
      return;
    }
    if (request.idempotencyKey !== undefined && seenKeys.has(request.idempotencyKey)) {
      response.writeHead(200).end('already applied');
      return;
    }
    if (request.idempotencyKey !== undefined) seenKeys.add(request.idempotencyKey);
    apply(body);
    applied += 1;
    response.writeHead(200).end('ok');
  }

  const server: Server = createServer((message, response) => {
    handle(message, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/hooks/inlet?source=test`,
    entities,
    requests,
    get applied() {
      return applied;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
