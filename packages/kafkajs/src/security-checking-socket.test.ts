import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { InletErrorCode } from '@inlet/core';
import type { ISocketFactory } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientSecurity, securityCheckingSocketFactory } from './security-checking-socket';
import { SecurityProtocolMismatches } from './security-protocol-mismatches';

// A fake listener on loopback speaking just enough of the Kafka framing to act as a broker
// that closes connections the way a SASL listener, a TLS listener or a failing network does.
const apiVersions = 18;
const metadata = 3;
const saslHandshake = 17;

interface Request {
  readonly apiKey: number;
  readonly correlationId: number;
}

type Listener = (connection: number, socket: Socket, request: Request) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function fakeListener(
  onRequest: Listener,
  onConnection: (connection: number, socket: Socket) => void = () => undefined,
): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    const connection = connections;
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32BE(0) + 4) {
        const frame = pending.subarray(4, pending.readInt32BE(0) + 4);
        pending = pending.subarray(frame.length + 4);
        onRequest(connection, socket, { apiKey: frame.readInt16BE(0), correlationId: frame.readInt32BE(4) });
      }
    });
    onConnection(connection, socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

function request(apiKey: number, correlationId: number): Buffer {
  const frame = Buffer.alloc(14);
  frame.writeInt32BE(10, 0);
  frame.writeInt16BE(apiKey, 4);
  frame.writeInt16BE(0, 6);
  frame.writeInt32BE(correlationId, 8);
  frame.writeInt16BE(-1, 12);
  return frame;
}

function response(correlationId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32BE(body.length + 4, 0);
  header.writeInt32BE(correlationId, 4);
  return Buffer.concat([header, body]);
}

function saslHandshakeAnswer(errorCode: number, mechanisms: readonly string[]): Buffer {
  const parts = [Buffer.alloc(6)];
  (parts[0] as Buffer).writeInt16BE(errorCode, 0);
  (parts[0] as Buffer).writeInt32BE(mechanisms.length, 2);
  for (const mechanism of mechanisms) {
    const length = Buffer.alloc(2);
    length.writeInt16BE(mechanism.length);
    parts.push(length, Buffer.from(mechanism));
  }
  return Buffer.concat(parts);
}

// An ApiVersions answer is opaque here: only its frame matters.
const apiVersionsAnswer = Buffer.alloc(40, 0);

/** Writes bytes one at a time, so that frames arrive cut everywhere. */
function trickle(socket: Socket, bytes: Buffer): void {
  for (let index = 0; index < bytes.length; index += 1) socket.write(bytes.subarray(index, index + 1));
}

interface Observed {
  readonly socket: Socket;
  readonly bytes: () => number;
  /** The first of 'end' or 'error' the client (kafkajs, here) hears. */
  readonly outcome: Promise<{ event: 'end' } | { event: 'error'; error: Error & { code?: string } }>;
}

function connectAsKafkaJs(port: number, client: Partial<ClientSecurity> = {}): Promise<Observed> {
  const security: ClientSecurity = {
    sasl: false,
    clientId: 'test',
    connectionTimeoutMs: 2_000,
    ...client,
  };
  const factory: ISocketFactory = securityCheckingSocketFactory(security, new SecurityProtocolMismatches());
  return new Promise((connected) => {
    let bytes = 0;
    let settle: (outcome: Awaited<Observed['outcome']>) => void = () => undefined;
    const outcome = new Promise<Awaited<Observed['outcome']>>((resolve) => {
      settle = resolve;
    });
    const socket: Socket = factory({
      host: '127.0.0.1',
      port,
      ssl: undefined as never,
      onConnect: () => connected({ socket, bytes: () => bytes, outcome }),
    });
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on('end', () => settle({ event: 'end' }));
    socket.on('error', (error: Error) => settle({ event: 'error', error }));
  });
}

describe('the security-checking socket', () => {
  it('reports a SASL listener that closes at the first request after ApiVersions, answers cut anywhere', async () => {
    const listener = await fakeListener((connection, socket, { apiKey, correlationId }) => {
      if (apiKey === apiVersions) trickle(socket, response(correlationId, apiVersionsAnswer));
      else if (apiKey === saslHandshake)
        socket.write(response(correlationId, saslHandshakeAnswer(0, ['PLAIN'])));
      else if (connection === 1) socket.end();
    });
    const client = await connectAsKafkaJs(listener.port);
    client.socket.write(request(apiVersions, 1));
    await expect.poll(client.bytes).toBe(apiVersionsAnswer.length + 8);
    client.socket.write(request(metadata, 2));
    const outcome = await client.outcome;
    expect(outcome).toMatchObject({
      event: 'error',
      error: {
        code: InletErrorCode.kafkaSecurityProtocol,
        message: expect.stringMatching(/127\.0\.0\.1:\d+ expects SASL authentication \(it offers PLAIN\)/),
      },
    });
    client.socket.end();
  });

  it('passes the close on untouched when the probe finds no SASL: a lost connection stays a loss', async () => {
    const illegalSaslState = 34;
    const listener = await fakeListener((connection, socket, { apiKey, correlationId }) => {
      if (apiKey === apiVersions) socket.write(response(correlationId, apiVersionsAnswer));
      else if (apiKey === saslHandshake)
        socket.write(response(correlationId, saslHandshakeAnswer(illegalSaslState, [])));
      else if (connection === 1) socket.end();
    });
    const client = await connectAsKafkaJs(listener.port);
    client.socket.write(request(apiVersions, 1));
    await expect.poll(client.bytes).toBeGreaterThan(0);
    client.socket.write(request(metadata, 2));
    expect(await client.outcome).toEqual({ event: 'end' });
    expect(listener.connections()).toBe(2);
    client.socket.end();
  });

  it('reports a TLS alert where a Kafka answer should be', async () => {
    const tlsAlert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50]);
    const listener = await fakeListener((_, socket) => {
      socket.end(tlsAlert);
    });
    const client = await connectAsKafkaJs(listener.port);
    client.socket.write(request(apiVersions, 1));
    expect(await client.outcome).toMatchObject({
      event: 'error',
      error: {
        code: InletErrorCode.kafkaSecurityProtocol,
        message: expect.stringMatching(/expects TLS.*ssl/),
      },
    });
    client.socket.end();
  });

  it('passes on a close before any byte', async () => {
    const listener = await fakeListener(
      () => undefined,
      (_, socket) => socket.end(),
    );
    const client = await connectAsKafkaJs(listener.port);
    expect(await client.outcome).toEqual({ event: 'end' });
    expect(listener.connections()).toBe(1);
    client.socket.end();
  });

  it('stops checking once the connection has answered a real request', async () => {
    const listener = await fakeListener((_, socket, { apiKey, correlationId }) => {
      if (apiKey === apiVersions || (apiKey === metadata && correlationId === 2)) {
        socket.write(response(correlationId, apiVersionsAnswer));
      } else {
        socket.end();
      }
    });
    const client = await connectAsKafkaJs(listener.port);
    client.socket.write(request(apiVersions, 1));
    client.socket.write(request(metadata, 2));
    await expect.poll(client.bytes).toBe(2 * (apiVersionsAnswer.length + 8));
    client.socket.write(request(metadata, 3));
    expect(await client.outcome).toEqual({ event: 'end' });
    expect(listener.connections()).toBe(1);
    client.socket.end();
  });

  it('does not look for SASL when the client has it configured', async () => {
    const listener = await fakeListener((_, socket, { apiKey, correlationId }) => {
      if (apiKey === apiVersions) socket.write(response(correlationId, apiVersionsAnswer));
      else socket.end();
    });
    const client = await connectAsKafkaJs(listener.port, { sasl: true });
    client.socket.write(request(apiVersions, 1));
    await expect.poll(client.bytes).toBeGreaterThan(0);
    client.socket.write(request(metadata, 2));
    expect(await client.outcome).toEqual({ event: 'end' });
    expect(listener.connections()).toBe(1);
    client.socket.end();
  });
});

describe('SecurityProtocolMismatches', () => {
  it('fails an attempt still running at the first mismatch, and leaves settled ones alone', async () => {
    const mismatches = new SecurityProtocolMismatches();
    const done = mismatches.failFast(Promise.resolve('connected'));
    await expect(done).resolves.toBe('connected');
    const never = new Promise<string>(() => undefined);
    const waiting = mismatches.failFast(never);
    const mismatch = new Error('the broker expects TLS');
    mismatches.report(mismatch as never);
    await expect(waiting).rejects.toBe(mismatch);
  });
});
