import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { inspect } from 'node:util';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import { serverScriptOutput } from '@inlet/test-support/servers';
import { beforeAll, describe, expect, it } from 'vitest';
import { InletErrorCode, InletKafkaError } from '../../errors';
import type { InletLogger } from '../../logger';
import type { SaslMechanism } from '../connection-options';
import type { IncomingRecord } from '../transport';
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
