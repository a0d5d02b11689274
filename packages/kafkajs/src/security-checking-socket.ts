import { EventEmitter } from 'node:events';
import { connect as connectPlain, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import { InletErrorCode } from '@inlet/core';
import type { ISocketFactory } from 'kafkajs';
import { securityProtocolMismatch } from './classify-kafkajs-error';
import { probeSaslHandshake, type SaslHandshakeAnswer } from './sasl-handshake-probe';
import type { SecurityProtocolMismatches } from './security-protocol-mismatches';

const apiVersionsKey = 18;
// Requests a client sends while it sets a connection up, before it is of any use.
const setUpApiKeys = new Set([apiVersionsKey, 17 /* SaslHandshake */, 36 /* SaslAuthenticate */]);
// What kafkajs's own socket factory sets.
const keepAliveDelayMs = 60_000;

/** What the client was told to use, to compare with what a listener turns out to expect. */
export interface ClientSecurity {
  /** Whether the client authenticates with SASL; whether it uses TLS comes with each socket. */
  readonly sasl: boolean;
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
}

type KafkaJsSsl = boolean | ConnectionOptions | undefined;

function openSocket(host: string, port: number, ssl: KafkaJsSsl, onConnect: () => void): Socket {
  const socket = ssl
    ? connectTls(
        { host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(ssl === true ? {} : ssl) },
        onConnect,
      )
    : connectPlain({ host, port }, onConnect);
  socket.setKeepAlive(true, keepAliveDelayMs);
  return socket;
}

// A TLS record (alert 0x15 or handshake 0x16, version 3.x) where a Kafka response should be.
function startsWithTlsRecord(bytes: Buffer | undefined): boolean {
  return (
    bytes !== undefined && bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 3
  );
}

function mechanismsText(mechanisms: readonly string[]): string {
  return mechanisms.length === 0 ? 'no mechanism' : mechanisms.join(', ');
}

function expectsTls(address: string): string {
  return (
    `the broker at ${address} expects TLS (it answered with a TLS alert): set the ssl option ` +
    '(ssl: true, or ssl: { ca: [certificate] } for a private CA), or connect to its plaintext listener'
  );
}

function expectsSasl(address: string, mechanisms: readonly string[]): string {
  return (
    `the broker at ${address} expects SASL authentication (it offers ${mechanismsText(mechanisms)}) ` +
    'and closed the connection at the first request: set the sasl option ' +
    '(sasl: { mechanism, username, password }), or connect to a listener without SASL'
  );
}

function doesNotUseTls(address: string, answer: SaslHandshakeAnswer & { answered: true }): string {
  const sasl =
    answer.saslMechanisms === undefined
      ? ''
      : ` with SASL (it offers ${mechanismsText(answer.saslMechanisms)})`;
  return (
    `the broker at ${address} does not use TLS on this port (it broke off the TLS handshake and ` +
    `answers plain Kafka${sasl}): remove the ssl option, or connect to its TLS listener`
  );
}

type Check =
  | { readonly mismatch: string }
  | { readonly probe: () => Promise<string | undefined> }
  | undefined;

/**
 * The socket kafkajs is given: a real one underneath, whose set-up it watches. A broker whose
 * listener expects another security protocol typically just closes the connection, which
 * kafkajs reports as a retriable "Closed connection" and retries until the producer's delivery
 * timeout. While a connection is being set up (until its first answer to a request other than
 * ApiVersions, SaslHandshake or SaslAuthenticate), a close that fits a mismatch is checked —
 * from what the listener sent, or with a SaslHandshake probe on a new connection — and a
 * confirmed mismatch reaches kafkajs as a connection error that names it. Anything else,
 * including a genuine connection loss, reaches kafkajs untouched.
 */
class SecurityCheckingSocket extends EventEmitter {
  readonly #socket: Socket;
  readonly #host: string;
  readonly #port: number;
  readonly #ssl: KafkaJsSsl;
  readonly #client: ClientSecurity;
  readonly #mismatches: SecurityProtocolMismatches;
  #settingUp = true;
  #secured = false;
  #streamStart: Buffer | undefined;
  #answeredApiVersions = false;
  // Correlation id → API key of requests sent during set-up that have had no answer yet.
  readonly #unanswered = new Map<number, number>();
  // The next response's size and correlation id, while they arrive; then the rest of it to skip.
  #responseHeader = Buffer.alloc(0);
  #responseBytesToSkip = 0;
  #held: [event: 'end' | 'error', args: unknown[]][] | undefined;
  #decided = false;
  #endedByClient = false;

  constructor(
    { host, port, ssl, onConnect }: Parameters<ISocketFactory>[0],
    client: ClientSecurity,
    mismatches: SecurityProtocolMismatches,
  ) {
    super();
    this.#host = host;
    this.#port = port;
    this.#ssl = ssl;
    this.#client = client;
    this.#mismatches = mismatches;
    this.#socket = openSocket(host, port, ssl, () => {
      this.#secured = Boolean(ssl);
      onConnect();
    });
    this.#socket.on('data', (chunk: Buffer) => {
      if (this.#settingUp) this.#watchResponses(chunk);
      this.emit('data', chunk);
    });
    this.#socket.on('timeout', () => this.emit('timeout'));
    this.#socket.on('end', () => this.#closing('end', []));
    this.#socket.on('error', (error: Error) => this.#closing('error', [error]));
  }

  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    if (this.#settingUp && Buffer.isBuffer(data) && data.length >= 12) {
      // A request: size, API key, API version, correlation id, ...
      this.#unanswered.set(data.readInt32BE(8), data.readInt16BE(4));
    }
    return encoding === undefined ? this.#socket.write(data) : this.#socket.write(data, encoding);
  }

  end(): this {
    this.#endedByClient = true;
    this.#socket.end();
    return this;
  }

  destroy(error?: Error): this {
    this.#endedByClient = true;
    this.#socket.destroy(error);
    return this;
  }

  unref(): this {
    this.#socket.unref();
    return this;
  }

  ref(): this {
    this.#socket.ref();
    return this;
  }

  get #address(): string {
    return `${this.#host}:${this.#port}`;
  }

  #watchResponses(chunk: Buffer): void {
    if (this.#streamStart === undefined) this.#streamStart = chunk.subarray(0, 2);
    let offset = 0;
    while (offset < chunk.length && this.#settingUp) {
      if (this.#responseBytesToSkip > 0) {
        const skipped = Math.min(this.#responseBytesToSkip, chunk.length - offset);
        this.#responseBytesToSkip -= skipped;
        offset += skipped;
        continue;
      }
      const taken = chunk.subarray(offset, offset + 8 - this.#responseHeader.length);
      this.#responseHeader = Buffer.concat([this.#responseHeader, taken]);
      offset += taken.length;
      if (this.#responseHeader.length === 8) {
        this.#responseBytesToSkip = Math.max(0, this.#responseHeader.readInt32BE(0) - 4);
        this.#answered(this.#responseHeader.readInt32BE(4));
        this.#responseHeader = Buffer.alloc(0);
      }
    }
  }

  #answered(correlationId: number): void {
    const apiKey = this.#unanswered.get(correlationId);
    this.#unanswered.delete(correlationId);
    if (apiKey === apiVersionsKey) this.#answeredApiVersions = true;
    else if (apiKey === undefined || !setUpApiKeys.has(apiKey)) this.#stopWatching();
  }

  // Once the connection answers real requests it is set up; later losses are just losses.
  #stopWatching(): void {
    this.#settingUp = false;
    this.#unanswered.clear();
    this.#responseHeader = Buffer.alloc(0);
  }

  #closedAtFirstRequest(): boolean {
    return this.#answeredApiVersions && [...this.#unanswered.values()].some((key) => !setUpApiKeys.has(key));
  }

  #check(event: 'end' | 'error', error: unknown): Check {
    const reset = event === 'error' && (error as { code?: unknown }).code === 'ECONNRESET';
    const closed = event === 'end' || reset;
    if (!closed) return undefined;
    if (!this.#ssl && startsWithTlsRecord(this.#streamStart)) return { mismatch: expectsTls(this.#address) };
    if (this.#ssl && !this.#secured) return { probe: () => this.#probeForPlainKafka() };
    if (!this.#client.sasl && this.#closedAtFirstRequest()) return { probe: () => this.#probeForSasl() };
    return undefined;
  }

  async #probeForPlainKafka(): Promise<string | undefined> {
    const answer = await probeSaslHandshake(
      (onConnect) => openSocket(this.#host, this.#port, false, onConnect),
      {
        clientId: this.#client.clientId,
        timeoutMs: this.#client.connectionTimeoutMs,
      },
    );
    return answer.answered ? doesNotUseTls(this.#address, answer) : undefined;
  }

  async #probeForSasl(): Promise<string | undefined> {
    const answer = await probeSaslHandshake(
      (onConnect) => openSocket(this.#host, this.#port, this.#ssl, onConnect),
      { clientId: this.#client.clientId, timeoutMs: this.#client.connectionTimeoutMs },
    );
    return answer.answered && answer.saslMechanisms !== undefined
      ? expectsSasl(this.#address, answer.saslMechanisms)
      : undefined;
  }

  #closing(event: 'end' | 'error', args: unknown[]): void {
    if (this.#decided) return;
    if (this.#held !== undefined) {
      this.#held.push([event, args]);
      return;
    }
    const check = this.#settingUp ? this.#check(event, args[0]) : undefined;
    if (check === undefined) {
      this.emit(event, ...args);
    } else if ('mismatch' in check) {
      this.#fail(check.mismatch);
    } else {
      // kafkajs hears of the close only once the probe has answered.
      this.#held = [[event, args]];
      void check.probe().then((mismatch) => this.#release(mismatch));
    }
  }

  #release(mismatch: string | undefined): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (mismatch !== undefined) {
      this.#fail(mismatch);
      return;
    }
    if (this.#endedByClient) return;
    for (const [event, args] of held) this.emit(event, ...args);
  }

  #fail(mismatch: string): void {
    this.#decided = true;
    this.#stopWatching();
    this.#mismatches.report(securityProtocolMismatch(mismatch));
    if (this.#endedByClient) return;
    // kafkajs keeps an error's message and code: the classifier recognises the code.
    this.emit('error', Object.assign(new Error(mismatch), { code: InletErrorCode.kafkaSecurityProtocol }));
  }
}

/**
 * A kafkajs socket factory that opens connections as kafkajs's own does (TLS when `ssl` is set,
 * keep-alive) and reports a listener expecting another security protocol as
 * INLET_KAFKA_SECURITY_PROTOCOL, to kafkajs and to `mismatches`.
 */
export function securityCheckingSocketFactory(
  client: ClientSecurity,
  mismatches: SecurityProtocolMismatches,
): ISocketFactory {
  // kafkajs types the factory's result as a net.Socket but only calls on, write, end and unref.
  return (args) => new SecurityCheckingSocket(args, client, mismatches) as unknown as Socket;
}
