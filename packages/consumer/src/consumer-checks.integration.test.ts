import type { KafkaTransport, TopicEvent } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import type { ConsumerOptions } from './consumer-options';
import { ordersTopic, updated } from './fixtures/orders.fixture';
import { createMemoryVersionStore } from './stores/memory-stores';
import { createPostgresDedupStore } from './stores/postgres-dedup-store';
import { createPostgresTransactionalDedup } from './stores/postgres-transactional-dedup';
import { createPostgresVersionStore } from './stores/postgres-version-store';

// The same sequence through every handler mode and dedup mode, on a real broker and PostgreSQL:
// the same events reach the handler, and the counts agree.

const environment = testEnvironment();
let transport: KafkaTransport;
let pool: pg.Pool;
const tables: string[] = [];
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'consumer-checks' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 10 });
});
afterAll(async () => {
  for (const table of tables) await pool.query(`drop table if exists ${table}`);
  await pool.end();
  await transport.close();
});

type Orders = ReturnType<typeof ordersTopic>;
type OrderEvent = TopicEvent<Orders>;

function table(prefix: string): string {
  const name = uniqueName(prefix).replaceAll('-', '_');
  tables.push(name);
  return name;
}

async function until(probe: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * For one key, in offset order: A (revision 1), a copy of A, B (revision 3), C (revision 2: stale),
 * a copy of C, a copy of A, D (revision 4). Expected: A, B and D handled; C stale; three duplicates.
 */
async function produceSequence(orders: Orders): Promise<void> {
  const producer = createProducer({ transport });
  const ids = new Map<string, string>();
  for (const [label, revision] of [
    ['A', 1],
    ['A', 1],
    ['B', 3],
    ['C', 2],
    ['C', 2],
    ['A', 1],
    ['D', 4],
  ] as const) {
    const id = ids.get(label);
    const sent = await producer.send(orders, {
      ...updated('o-1', revision),
      ...(id === undefined ? {} : { id }),
    });
    ids.set(label, sent.id);
  }
  await producer.close();
}

type DedupMode = 'memory' | 'postgres store' | 'transactional';

function dedupOptions(mode: DedupMode): Partial<ConsumerOptions<[Orders], pg.PoolClient>> {
  if (mode === 'memory') return { versionGate: { store: createMemoryVersionStore() } };
  const versionGate = { store: createPostgresVersionStore({ pool, table: table('versions') }) };
  if (mode === 'postgres store')
    return { versionGate, dedup: { store: createPostgresDedupStore({ pool, table: table('marks') }) } };
  return {
    versionGate,
    transactionalDedup: createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: table('marks') }),
  };
}

describe.each<DedupMode>(['memory', 'postgres store', 'transactional'])('dedup in %s', (mode) => {
  it.each(['handle', 'handleBatch'] as const)(
    'counts the same with %s',
    async (handlerMode) => {
      const orders = ordersTopic(uniqueName('checks'));
      await transport.admin().createTopics([{ topic: orders.name, partitions: 1 }]);
      await produceSequence(orders);
      const revisions: number[] = [];
      const transactions: boolean[] = [];
      const record = (event: OrderEvent, transaction: pg.PoolClient | undefined) => {
        revisions.push((event.data as { revision: number }).revision);
        transactions.push(transaction !== undefined && typeof transaction.query === 'function');
      };
      const consumer = createConsumer<[Orders], pg.PoolClient>({
        transport,
        groupId: uniqueName('checks-group'),
        topics: [orders],
        commitIntervalMs: 100,
        ...dedupOptions(mode),
        ...(handlerMode === 'handle'
          ? { handle: async (event, context) => record(event, context.transaction) }
          : {
              handleBatch: async (events, context) => {
                for (const event of events) record(event, context.transaction);
              },
            }),
      } as ConsumerOptions<[Orders], pg.PoolClient>);
      await consumer.start();
      try {
        await until(() => {
          const { handled, duplicates, stale } = consumer.stats();
          return handled + duplicates + stale === 7;
        }, 'seven events');
        expect(revisions).toEqual([1, 3, 4]);
        expect(consumer.stats()).toMatchObject({ handled: 3, duplicates: 3, stale: 1, deadLettered: 0 });
        // In transactional mode every handler call has its transaction, in both handler modes.
        expect(transactions.every((has) => has === (mode === 'transactional'))).toBe(true);
      } finally {
        await consumer.close();
      }
    },
    60_000,
  );
});
