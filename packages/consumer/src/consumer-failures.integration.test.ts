import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { StoreErrorCode } from '@inlet/store-errors';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { ConsumerErrorCode } from './consumer-error-code';
import { ordersTopic, updated } from './fixtures/orders.fixture';
import { createPostgresVersionStore } from './stores/postgres-version-store';
import { createRedisDedupStore } from './stores/redis-dedup-store';

// Real faults on a real broker: a database that drops the store's connections, a Redis nobody
// answers on, a dead-letter topic that cannot exist, and a close() while handlers ignore their
// signal. Each ends explicitly: retried and committed, or the consumer stops, reported.

const environment = testEnvironment();
let transport: KafkaTransport;
let pool: pg.Pool;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'consumer-failures' });
  pool = new pg.Pool({
    connectionString: environment.databaseUrl,
    max: 4,
    application_name: 'inlet-failures-store',
  });
  // An idle client whose connection is terminated reports it here (an application must listen).
  pool.on('error', () => undefined);
});
afterAll(async () => {
  await pool.end();
  await transport.close();
});

async function until(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function topicWith(count: number, partitions = 1) {
  const orders = ordersTopic(uniqueName('failures'));
  await transport.admin().createTopics([{ topic: orders.name, partitions }]);
  const producer = createProducer({ transport });
  await producer.sendBatch(
    orders,
    Array.from({ length: count }, (_, index) => updated(`o-${index % 20}`, Math.floor(index / 20))),
  );
  await producer.close();
  return orders;
}

async function committedTotal(groupId: string, topic: string): Promise<number> {
  const offsets = await transport.admin().groupOffsets(groupId, topic);
  return offsets.reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
}

describe('a store or dead-letter topic that fails, on a real broker', () => {
  it('retries a version store whose connections the database dropped mid-query, and commits everything', async () => {
    const orders = await topicWith(400, 2);
    const versionTable = uniqueName('versions').replaceAll('-', '_');
    const groupId = uniqueName('failures-pg');
    const operator = new pg.Client({
      connectionString: environment.databaseUrl,
      application_name: 'inlet-failures-operator',
    });
    await operator.connect();
    let handled = 0;
    let dropped = 0;
    // At the 100th event the table is locked, so that the store's next queries wait on it; the
    // connections they wait on are then terminated, as a database restart does, and the lock let go.
    let faultDone: Promise<void> | undefined;
    const fault = async () => {
      await operator.query('begin');
      await operator.query(`lock table ${versionTable} in access exclusive mode`);
      faultDone = (async () => {
        await until(async () => {
          const { rows } = await operator.query(
            `select count(*)::int as n from pg_stat_activity
             where application_name = 'inlet-failures-store' and wait_event_type = 'Lock'`,
          );
          return rows[0].n > 0;
        }, 'a store query waiting on the lock');
        const { rows } = await operator.query(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where application_name = 'inlet-failures-store'`,
        );
        dropped = rows[0].n;
        await operator.query('commit');
      })();
    };
    const consumer = createConsumer({
      transport,
      groupId,
      topics: [orders],
      commitIntervalMs: 100,
      versionGate: { store: createPostgresVersionStore({ pool, table: versionTable }) },
      handle: async () => {
        handled += 1;
        if (handled === 100) await fault();
      },
    });
    await consumer.start();
    try {
      await until(
        async () => (await committedTotal(groupId, orders.name)) === 400,
        'all 400 committed',
        60_000,
      );
      await faultDone;
      expect(dropped).toBeGreaterThan(0);
      expect(consumer.stats()).toMatchObject({ handled: 400, state: 'running', deadLettered: 0 });
      expect(consumer.stats().serviceRetries).toBeGreaterThan(0);
    } finally {
      await consumer.close();
      await operator.end();
      await pool.query(`drop table if exists ${versionTable}`);
    }
  }, 90_000);

  it('stops, with a typed error, when the dedup store never answers, committing nothing', async () => {
    const orders = await topicWith(5);
    // Nothing listens on port 1.
    const redis = new Redis({
      port: 1,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    const groupId = uniqueName('failures-redis');
    const consumer = createConsumer({
      transport,
      groupId,
      topics: [orders],
      dedup: { store: createRedisDedupStore({ redis }) },
      serviceRetry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
      handle: async () => undefined,
    });
    await consumer.start();
    const failure = await consumer.stopped();
    redis.disconnect();
    expect(failure?.code).toBe(StoreErrorCode.storeUnavailable);
    expect(failure?.message).toMatch(/^dedup store seen failed after 3 attempts/);
    expect(consumer.stats()).toMatchObject({ state: 'failed', handled: 0 });
    expect(await committedTotal(groupId, orders.name)).toBe(0);
  }, 60_000);

  it('stops, with a typed error, when the dead-letter topic cannot be made', async () => {
    const orders = ordersTopic(uniqueName('failures-dlq'));
    await transport.admin().createTopics([{ topic: orders.name, partitions: 1 }]);
    await transport
      .producer()
      .send([{ topic: orders.name, key: Buffer.from('k'), value: Buffer.from('not an event') }]);
    const consumer = createConsumer({
      transport,
      groupId: uniqueName('failures-dlq'),
      topics: [orders],
      deadLetter: { topic: 'no spaces allowed in a topic' },
      handle: async () => undefined,
    });
    await consumer.start();
    const failure = await consumer.stopped();
    expect(failure?.code).toBe(ConsumerErrorCode.deadLetterFailed);
    expect(failure?.message).toMatch(/no spaces allowed in a topic/);
  }, 60_000);
});

describe('close() on a real broker', () => {
  it('resolves only once no handler runs, starting none after it was called', async () => {
    const orders = await topicWith(60, 3);
    let running = 0;
    let started = 0;
    let startedAborted = 0;
    const consumer = createConsumer({
      transport,
      groupId: uniqueName('close'),
      topics: [orders],
      maxConcurrency: 8,
      drainTimeoutMs: 500,
      handle: async (_event, { signal }) => {
        started += 1;
        if (signal.aborted) startedAborted += 1;
        running += 1;
        // Ignores its signal.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        running -= 1;
      },
    });
    await consumer.start();
    await until(() => running >= 4, 'handlers running');
    const startedAtClose = started;
    await consumer.close();
    expect(running).toBe(0);
    expect(started).toBe(startedAtClose);
    expect(startedAborted).toBe(0);
    expect(consumer.stats().state).toBe('closed');
    expect(await consumer.stopped()).toBeUndefined();
  }, 60_000);
});
