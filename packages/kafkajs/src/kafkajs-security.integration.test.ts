import { readFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { type IncomingRecord, InletErrorCode, InletKafkaError, type InletLogger } from '@inlet/core';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import { serverScriptOutput } from '@inlet/test-support/servers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SaslMechanism } from './connection-options';
import { createKafkaJsTransport, type KafkaJsTransport } from './kafkajs-transport';

// The repo's broker (scripts/servers/kafka.sh) listens with SASL_PLAINTEXT on port+2 and SSL on
// port+3, with a test user for every mechanism and a certificate signed by its own test CA.
const environment = testEnvironment();

function portAnswers(broker: string): Promise<boolean> {
  const [host = '127.0.0.1', port = '0'] = broker.split(':');
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const answer = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(2_000);
    socket.once('connect', () => answer(true));
    socket.once('error', () => answer(false));
    socket.once('timeout', () => answer(false));
  });
}

async function requireListener(brokers: readonly string[], what: string): Promise<void> {
  const broker = brokers[0] ?? '';
  if (!(await portAnswers(broker))) {
    throw new Error(
      `no ${what} listener answers on ${broker}: the broker predates them; restart it with the current ` +
        'scripts/servers/kafka.sh (stop, then start), or set the KAFKA_*_BROKERS variables',
    );
  }
}

async function roundTrip(transport: KafkaJsTransport): Promise<IncomingRecord[]> {
  const topic = uniqueName('secure-topic');
  expect(await transport.admin().createTopics([{ topic, partitions: 1 }])).toEqual([topic]);
  await transport
    .producer()
    .send([{ topic, key: Buffer.from('k'), value: Buffer.from('over a secured listener') }]);
  const consumer = transport.consumer({
    groupId: uniqueName('secure-group'),
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    maxWaitTimeMs: 100,
  });
  const received: IncomingRecord[] = [];
  await consumer.subscribe([topic]);
  await consumer.run({
    onBatch: async (batch) => {
      received.push(...batch.records);
    },
  });
  await eventually(() => (received.length > 0 ? true : undefined), { what: 'the record', timeoutMs: 30_000 });
  await consumer.close();
  return received;
}

function recordingLogger(lines: string[]): InletLogger {
  const record = (message: string, fields?: Readonly<Record<string, unknown>>) =>
    lines.push(`${message} ${inspect(fields, { depth: 10 })}`);
  return { debug: record, info: record, warn: record, error: record };
}

const mechanisms: SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

describe('SASL', () => {
  beforeAll(() => requireListener(environment.kafkaSaslBrokers, 'SASL_PLAINTEXT'));

  it.each(mechanisms)('produces and consumes a record when logged in with %s', async (mechanism) => {
    await using transport = createKafkaJsTransport({
      brokers: [...environment.kafkaSaslBrokers],
      sasl: { mechanism, username: environment.kafkaSaslUsername, password: environment.kafkaSaslPassword },
    });
    const received = await roundTrip(transport);
    expect(received.map((record) => record.value?.toString())).toEqual(['over a secured listener']);
  });

  it.each(mechanisms)(
    'refuses a wrong %s password as INLET_KAFKA_AUTHENTICATION, revealing neither password',
    async (mechanism) => {
      const wrongPassword = `wrong-${environment.kafkaSaslPassword}-${mechanism}`;
      const lines: string[] = [];
      await using transport = createKafkaJsTransport({
        brokers: [...environment.kafkaSaslBrokers],
        sasl: { mechanism, username: environment.kafkaSaslUsername, password: wrongPassword },
        logger: recordingLogger(lines),
      });
      const error = await transport
        .admin()
        .listTopics()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InletKafkaError);
      expect(error).toMatchObject({ code: InletErrorCode.kafkaAuthentication, retryable: false });
      const printed = [
        (error as Error).message,
        inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
        JSON.stringify(error),
        inspect(transport, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
        JSON.stringify(transport.options),
        ...lines,
      ];
      expect(lines.length).toBeGreaterThan(0);
      for (const text of printed) {
        expect(text).not.toContain(wrongPassword);
        expect(text).not.toContain(environment.kafkaSaslPassword);
      }
    },
  );
});

describe('TLS', () => {
  let ca: Buffer;
  beforeAll(async () => {
    await requireListener(environment.kafkaSslBrokers, 'SSL');
    ca = await readFile(environment.kafkaSslCaFile ?? (await serverScriptOutput('kafka', 'tls-ca')));
  });

  it('produces and consumes a record over TLS, trusting the test CA', async () => {
    await using transport = createKafkaJsTransport({
      brokers: [...environment.kafkaSslBrokers],
      ssl: { ca: [ca] },
    });
    const received = await roundTrip(transport);
    expect(received.map((record) => record.value?.toString())).toEqual(['over a secured listener']);
  });

  it('refuses a certificate it does not trust as INLET_KAFKA_AUTHENTICATION', async () => {
    await using transport = createKafkaJsTransport({
      brokers: [...environment.kafkaSslBrokers],
      ssl: true,
      retry: { retries: 0 },
    });
    const error = await transport
      .admin()
      .listTopics()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: InletErrorCode.kafkaAuthentication,
      kafkaErrorType: 'KafkaJSConnectionError',
      retryable: false,
    });
  });
});

// Without a fix, each of these waited out the producer's 120 s delivery timeout, retrying
// "Closed connection". The bound is generous (a shared two-core machine); the point is seconds.
const failsWithinMs = 15_000;

async function settleTime<T>(
  work: Promise<T>,
): Promise<{ result: T | undefined; error: unknown; ms: number }> {
  const started = Date.now();
  try {
    return { result: await work, error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { result: undefined, error, ms: Date.now() - started };
  }
}

async function expectSendRefused(
  transport: KafkaJsTransport,
  expected: { code: InletErrorCode; message: RegExp },
): Promise<void> {
  const send = await settleTime(
    transport.producer().send([{ topic: uniqueName('never-reached'), key: Buffer.from('k'), value: null }]),
  );
  expect(send.error).toBeInstanceOf(InletKafkaError);
  expect(send.error).toMatchObject({ code: expected.code, retryable: false });
  expect((send.error as Error).message).toMatch(expected.message);
  expect(send.ms).toBeLessThan(failsWithinMs);
  const close = await settleTime(transport.close());
  expect(close.error).toBeUndefined();
  expect(close.ms).toBeLessThan(failsWithinMs);
}

describe('a client whose security settings do not match the listener', () => {
  let ca: Buffer;
  beforeAll(async () => {
    await requireListener(environment.kafkaSaslBrokers, 'SASL_PLAINTEXT');
    await requireListener(environment.kafkaSslBrokers, 'SSL');
    ca = await readFile(environment.kafkaSslCaFile ?? (await serverScriptOutput('kafka', 'tls-ca')));
  });

  it('without ssl, on the TLS listener: refused at once, saying TLS is expected', async () => {
    const broker = environment.kafkaSslBrokers[0] as string;
    await expectSendRefused(createKafkaJsTransport({ brokers: [broker] }), {
      code: InletErrorCode.kafkaSecurityProtocol,
      message: new RegExp(`${broker} expects TLS.*ssl`),
    });
  });

  it('without sasl, on the SASL listener: refused at once, saying SASL is expected', async () => {
    const broker = environment.kafkaSaslBrokers[0] as string;
    await expectSendRefused(createKafkaJsTransport({ brokers: [broker] }), {
      code: InletErrorCode.kafkaSecurityProtocol,
      message: new RegExp(`${broker} expects SASL.*SCRAM-SHA-256.*sasl`),
    });
  });

  it('with ssl, on the plaintext listener: refused at once, saying it does not use TLS', async () => {
    const broker = environment.kafkaBrokers[0] as string;
    await expectSendRefused(createKafkaJsTransport({ brokers: [broker], ssl: { ca: [ca] } }), {
      code: InletErrorCode.kafkaSecurityProtocol,
      message: new RegExp(`${broker} does not use TLS.*ssl`),
    });
  });

  it('with sasl, on the plaintext listener: refused at once, saying it does not use SASL', async () => {
    await expectSendRefused(
      createKafkaJsTransport({
        brokers: [...environment.kafkaBrokers],
        sasl: {
          mechanism: 'plain',
          username: environment.kafkaSaslUsername,
          password: environment.kafkaSaslPassword,
        },
      }),
      { code: InletErrorCode.kafkaSecurityProtocol, message: /does not use SASL.*sasl/ },
    );
  });

  it('with a TLS key that does not load: refused when the transport is made, naming /ssl', () => {
    const brokenKey =
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg-broken\n';
    let refused: unknown;
    try {
      createKafkaJsTransport({
        brokers: [...environment.kafkaSslBrokers],
        ssl: { ca: [ca], key: brokenKey },
      });
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({
      code: InletErrorCode.invalidOption,
      retryable: false,
      issues: [{ path: '/ssl', message: expect.stringMatching(/cannot load.*DECODER routines/) }],
    });
    expect(inspect(refused, { depth: Number.POSITIVE_INFINITY })).not.toContain('-broken');
  });

  it('with a wrong SASL password: a send is refused at once as INLET_KAFKA_AUTHENTICATION', async () => {
    await expectSendRefused(
      createKafkaJsTransport({
        brokers: [...environment.kafkaSaslBrokers],
        sasl: { mechanism: 'scram-sha-512', username: environment.kafkaSaslUsername, password: 'not-it' },
      }),
      { code: InletErrorCode.kafkaAuthentication, message: /authentication failed/i },
    );
  });
});

// A relay in front of a real listener that breaks the first connection the way a network or a
// restarting broker can, then relays faithfully. What breaks a connection here must stay
// retryable: it looks like a misconfiguration only at first sight.
type FirstConnectionFault =
  /** Accept, then close before a single byte has gone either way. */
  | 'close-at-once'
  /** Relay the first response, then close when the client sends its next request. */
  | 'close-after-first-response';

interface Relay {
  readonly broker: string;
  readonly connections: number;
}

const relays: { readonly server: Server; readonly sockets: Set<Socket> }[] = [];
afterEach(async () => {
  for (const { server, sockets } of relays.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function startRelay(target: string, fault: FirstConnectionFault): Promise<Relay> {
  const [host = '127.0.0.1', port = '0'] = target.split(':');
  let connections = 0;
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    connections += 1;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (connections === 1 && fault === 'close-at-once') {
      client.end();
      return;
    }
    const upstream = connect({ host, port: Number(port) });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let faulty = connections === 1;
    let responseBytesLeft: number | undefined;
    let answered = false;
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (!faulty) return;
      responseBytesLeft ??= chunk.readInt32BE(0) + 4;
      responseBytesLeft -= chunk.length;
      if (responseBytesLeft <= 0) answered = true;
    });
    client.on('data', (chunk: Buffer) => {
      if (faulty && answered) {
        faulty = false;
        upstream.destroy();
        client.end();
        return;
      }
      upstream.write(chunk);
    });
  });
  relays.push({ server: relay, sockets });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address() as AddressInfo;
  return {
    broker: `127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
  };
}

describe('a connection lost while it is being set up', () => {
  let ca: Buffer;
  beforeAll(async () => {
    await requireListener(environment.kafkaSslBrokers, 'SSL');
    ca = await readFile(environment.kafkaSslCaFile ?? (await serverScriptOutput('kafka', 'tls-ca')));
  });

  it('closed before any byte, without ssl: retried, and the call succeeds', async () => {
    const relay = await startRelay(environment.kafkaBrokers[0] as string, 'close-at-once');
    await using transport = createKafkaJsTransport({ brokers: [relay.broker] });
    expect(await transport.admin().listTopics()).toEqual(expect.any(Array));
    expect(relay.connections).toBeGreaterThan(1);
  });

  it('closed during the TLS handshake, with ssl: retried, and the call succeeds', async () => {
    const relay = await startRelay(environment.kafkaSslBrokers[0] as string, 'close-at-once');
    await using transport = createKafkaJsTransport({ brokers: [relay.broker], ssl: { ca: [ca] } });
    expect(await transport.admin().listTopics()).toEqual(expect.any(Array));
    expect(relay.connections).toBeGreaterThan(1);
  });

  it('closed at the first request after ApiVersions, without sasl: retryable, and the next call succeeds', async () => {
    const relay = await startRelay(environment.kafkaBrokers[0] as string, 'close-after-first-response');
    await using transport = createKafkaJsTransport({ brokers: [relay.broker] });
    const admin = transport.admin();
    const first = await settleTime(admin.listTopics());
    if (first.error !== undefined) {
      expect(first.error).toMatchObject({ code: InletErrorCode.kafkaConnection, retryable: true });
      expect(await admin.listTopics()).toEqual(expect.any(Array));
    }
    // The broken connection, the SaslHandshake probe that found no SASL behind it, and more.
    expect(relay.connections).toBeGreaterThanOrEqual(3);
  });
});
