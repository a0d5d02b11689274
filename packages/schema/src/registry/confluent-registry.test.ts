import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Redacted } from '@inlet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfluentRegistry } from './confluent-registry';

// A real HTTP server on loopback that answers like a registry, or fails like one: the client's
// retry, classification and auth handling are tested against actual sockets and responses.
type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => handler(request, body, response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  response.end(JSON.stringify(body));
}

describe('Confluent registry client', () => {
  it('retries 5xx answers with backoff, then succeeds', async () => {
    let calls = 0;
    const url = await serve((_, __, response) => {
      calls += 1;
      if (calls < 3) json(response, 503, { error_code: 50301, message: 'busy' });
      else json(response, 200, ['a', 'b']);
    });
    const registry = createConfluentRegistry({ url, minRetryDelayMs: 1, maxRetryDelayMs: 5 });
    expect(await registry.subjects()).toEqual(['a', 'b']);
    expect(calls).toBe(3);
  });

  it('gives up after the retry budget with a retryable INLET_REGISTRY_UNAVAILABLE', async () => {
    let calls = 0;
    const url = await serve((_, __, response) => {
      calls += 1;
      json(response, 500, { error_code: 50001, message: 'store down' });
    });
    const registry = createConfluentRegistry({ url, retries: 2, minRetryDelayMs: 1, maxRetryDelayMs: 2 });
    const error = await registry.subjects().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INLET_REGISTRY_UNAVAILABLE', retryable: true });
    expect(calls).toBe(3);
  });

  it('does not retry answers that will not change, and classifies them', async () => {
    let calls = 0;
    const url = await serve((request, _, response) => {
      calls += 1;
      if (request.url?.startsWith('/subjects/bad/versions'))
        json(response, 422, { error_code: 42201, message: 'Invalid schema' });
      else json(response, 401, { error_code: 40101, message: 'Unauthorized' });
    });
    const registry = createConfluentRegistry({ url, minRetryDelayMs: 1, checkBeforeRegister: false });
    await expect(registry.subjects()).rejects.toMatchObject({
      code: 'INLET_REGISTRY_REQUEST_FAILED',
      retryable: false,
    });
    expect(calls).toBe(1);
  });

  it('reports an unreachable registry as retryable INLET_REGISTRY_UNAVAILABLE', async () => {
    const url = await serve(() => undefined);
    const closing = servers.pop() as Server;
    await new Promise((resolve) => closing.close(resolve));
    const registry = createConfluentRegistry({ url, retries: 1, minRetryDelayMs: 1, maxRetryDelayMs: 2 });
    await expect(registry.subjects()).rejects.toMatchObject({
      code: 'INLET_REGISTRY_UNAVAILABLE',
      retryable: true,
    });
  });

  it('times out a registry that never answers', async () => {
    const url = await serve(() => undefined);
    const registry = createConfluentRegistry({ url, retries: 0, requestTimeoutMs: 100 });
    await expect(registry.subjects()).rejects.toMatchObject({ code: 'INLET_REGISTRY_UNAVAILABLE' });
  });

  it('sends basic and bearer credentials without ever printing them', async () => {
    const seen: string[] = [];
    const url = await serve((request, _, response) => {
      seen.push(String(request.headers.authorization));
      json(response, 200, []);
    });
    const basic = createConfluentRegistry({
      url,
      auth: { type: 'basic', username: 'ci', password: 's3cret-pw' },
    });
    await basic.subjects();
    const bearer = createConfluentRegistry({
      url,
      auth: { type: 'bearer', token: Redacted.make('tok-123') },
    });
    await bearer.subjects();
    const rotating = createConfluentRegistry({ url, auth: { type: 'bearer', token: async () => 'tok-456' } });
    await rotating.subjects();
    expect(seen).toEqual([
      `Basic ${Buffer.from('ci:s3cret-pw').toString('base64')}`,
      'Bearer tok-123',
      'Bearer tok-456',
    ]);
    expect(inspect(basic, { depth: 10 })).not.toContain('s3cret-pw');
    expect(inspect(bearer, { depth: 10 })).not.toContain('tok-123');
  });

  it('refuses bad URLs and bad numbers when it is made', () => {
    expect(() => createConfluentRegistry({ url: 'not a url' })).toThrow(/not a valid URL/);
    expect(() => createConfluentRegistry({ url: 'ftp://localhost:8081' })).toThrow(/http/);
    expect(() => createConfluentRegistry({ url: 'http://localhost', retries: -1 })).toThrow(/retries/);
  });

  it('caches schemas by id', async () => {
    let calls = 0;
    const url = await serve((_, __, response) => {
      calls += 1;
      json(response, 200, { schema: '"string"' });
    });
    const registry = createConfluentRegistry({ url });
    expect(await registry.schemaById(7)).toEqual({ schemaType: 'AVRO', schema: '"string"' });
    await registry.schemaById(7);
    expect(calls).toBe(1);
  });

  it('maps a 404 for an id to INLET_DECODE_UNKNOWN_SCHEMA_ID', async () => {
    const url = await serve((_, __, response) =>
      json(response, 404, { error_code: 40403, message: 'Schema not found' }),
    );
    const registry = createConfluentRegistry({ url });
    await expect(registry.schemaById(99)).rejects.toMatchObject({ code: 'INLET_DECODE_UNKNOWN_SCHEMA_ID' });
  });

  describe('credentials and secrets in the URL', () => {
    // Everything a caller, a log or a CI job could see of an error.
    function everythingPrinted(error: unknown): string {
      const seen = error as Error & { cause?: unknown };
      return [
        String(error),
        seen.message,
        seen.stack,
        inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
        JSON.stringify(error),
        inspect(seen.cause, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      ].join('\n');
    }

    function creationError(options: Parameters<typeof createConfluentRegistry>[0]): unknown {
      try {
        createConfluentRegistry(options);
      } catch (error) {
        return error;
      }
      throw new Error('expected createConfluentRegistry to throw');
    }

    it('takes user and password out of the URL into basic auth, percent-decoded', async () => {
      const seen: { authorization: string | undefined; path: string | undefined }[] = [];
      const url = await serve((request, _, response) => {
        seen.push({ authorization: request.headers.authorization, path: request.url });
        json(response, 200, ['a']);
      });
      const withCredentials = url.replace('http://', 'http://ci-user:p%40ss%3Aword@');
      const registry = createConfluentRegistry({ url: `${withCredentials}/apis/ccompat/v7/` });
      expect(await registry.subjects()).toEqual(['a']);
      expect(seen).toEqual([
        {
          authorization: `Basic ${Buffer.from('ci-user:p@ss:word').toString('base64')}`,
          path: '/apis/ccompat/v7/subjects',
        },
      ]);
      expect(inspect(registry, { depth: 10, showHidden: true })).not.toContain('p%40ss');
      expect(inspect(registry, { depth: 10, showHidden: true })).not.toContain('p@ss');
    });

    it('shows the URL with the password replaced in errors', async () => {
      const url = await serve(() => undefined);
      const closing = servers.pop() as Server;
      await new Promise((resolve) => closing.close(resolve));
      const registry = createConfluentRegistry({
        url: url.replace('http://', 'http://ci-user:reg-secret-123@'),
        retries: 0,
      });
      const error = await registry.subjects().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'INLET_REGISTRY_UNAVAILABLE', retryable: true });
      expect((error as Error).message).toContain(url.replace('http://', 'http://ci-user:***@'));
      expect(everythingPrinted(error)).not.toContain('reg-secret-123');
    });

    it('refuses credentials both in the URL and in auth', () => {
      const error = creationError({
        url: 'http://user:reg-secret-123@127.0.0.1:8081',
        auth: { type: 'basic', username: 'other', password: 'other-secret' },
      });
      expect(error).toMatchObject({ code: 'INLET_INVALID_OPTION', retryable: false });
      expect((error as Error).message).toMatch(/both/);
      expect(everythingPrinted(error)).not.toContain('reg-secret-123');
      expect(everythingPrinted(error)).not.toContain('other-secret');
    });

    it('never echoes the password of a URL that does not parse', () => {
      const error = creationError({ url: 'http://user:reg-secret-123@127.0.0.1:80x81/apis' });
      expect(error).toMatchObject({ code: 'INLET_INVALID_OPTION', retryable: false });
      expect((error as Error).message).toContain('http://user:***@127.0.0.1:80x81/apis');
      expect(everythingPrinted(error)).not.toContain('reg-secret-123');
    });

    it.each([
      ['an unencoded @ in the password', 'http://user:reg@secret-123@127.0.0.1:80x81', 'reg@secret-123'],
      ['an unencoded / in the password', 'http://user:reg/secret-123@127.0.0.1:8081', 'reg/secret-123'],
      ['no scheme', 'user:reg-secret-123@127.0.0.1:8081', 'reg-secret-123'],
    ])('never echoes the password of a URL with %s', (_, url, secret) => {
      const error = creationError({ url });
      expect(error).toMatchObject({ code: 'INLET_INVALID_OPTION' });
      expect(everythingPrinted(error)).not.toContain(secret);
      expect(everythingPrinted(error)).not.toContain(secret.slice(0, 5));
    });

    it.each([
      ['a query string', 'http://127.0.0.1:8081/apis?token=tok-secret-456', /query/],
      ['an empty query string', 'http://127.0.0.1:8081/apis?', /query/],
      ['a fragment', 'http://127.0.0.1:8081/apis#tok-secret-456', /fragment/],
    ])('refuses %s in the base URL without echoing it', (_, url, reason) => {
      const error = creationError({ url });
      expect(error).toMatchObject({ code: 'INLET_INVALID_OPTION', retryable: false });
      expect((error as Error).message).toMatch(reason);
      expect((error as Error).message).toMatch(/request paths/);
      expect(everythingPrinted(error)).not.toContain('tok-secret-456');
    });

    it('never echoes a query secret of a URL that does not parse', () => {
      const error = creationError({ url: 'http://127.0.0.1:80x81/apis?token=tok-secret-456' });
      expect(error).toMatchObject({ code: 'INLET_INVALID_OPTION' });
      expect(everythingPrinted(error)).not.toContain('tok-secret-456');
    });

    it('refuses a username without a password, and a password that is not percent-encoded properly', () => {
      expect(creationError({ url: 'http://ci-user@127.0.0.1:8081' })).toMatchObject({
        code: 'INLET_INVALID_OPTION',
        message: expect.stringMatching(/password/),
      });
      const badEscape = creationError({ url: 'http://ci-user:reg-secret%zz@127.0.0.1:8081' });
      expect(badEscape).toMatchObject({ code: 'INLET_INVALID_OPTION' });
      expect(everythingPrinted(badEscape)).not.toContain('reg-secret');
    });
  });
});
