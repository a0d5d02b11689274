import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createPostgresSink } from '@inlet/sinks/postgres';
import { createRedisSink } from '@inlet/sinks/redis';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, sum } from './aggregations';
import { session, tumbling } from './window-kinds';
import { windowResultTopic } from './window-results';
import { createWindowing } from './windowing';
import {
  batchTumbling,
  closingSales,
  minute,
  produceSales,
  recentMinute,
  type SaleRecord,
  salesTopic,
} from './windowing.test-support';
import { batchSessions } from './windowing-faults.test-support';

// `output: { sink }` into the real databases: results as keyed upserts, revisions as versions,
// and — for session windows that merge — retractions as deletes. What the table or the keys hold
// at the end equals the batch computation.

const environment = testEnvironment();
let transport: KafkaTransport;
let pool: pg.Pool;
let redis: Redis;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'windowing-sinks-it' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  redis = new Redis(environment.redisUrl);
});
afterAll(async () => {
  await transport.close();
  await pool.end();
  redis.disconnect();
});

const base = recentMinute();

/** Sales of six stores; bursts a few seconds apart with longer pauses, so sessions form and merge. */
function generatedSales(count: number): SaleRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    store: `s${(index * 5) % 6}`,
    amount: (index % 9) + 1,
    // Every 12th sale arrives behind the ones before it (within the allowed disorder), which
    // bridges two sessions of its store into one after both were emitted early.
    at: base + index * 2_000 + (index % 40 < 30 ? 0 : 25_000) - (index % 12 === 0 ? 15_000 : 0),
  }));
}

function withClosing(sales: readonly SaleRecord[]): SaleRecord[] {
  return [...sales, ...closingSales(sales)];
}

async function windowInto(
  sink: Parameters<typeof createWindowing>[0]['output'],
  window: Parameters<typeof createWindowing>[0]['window'],
  aggregation: 'count' | 'sum',
  parts: readonly (readonly SaleRecord[])[],
  emit: 'final' | 'update',
) {
  const topic = salesTopic(uniqueName('sink-sales'));
  await transport.admin().createTopics([{ topic: topic.name, partitions: 3 }]);
  const windowing = createWindowing({
    transport,
    groupId: uniqueName('sink-group'),
    topics: [topic],
    window,
    aggregation:
      aggregation === 'count' ? count() : sum((sale: { data: { amount: number } }) => sale.data.amount),
    outOfOrdernessMs: 20_000,
    emit,
    output: sink,
  } as Parameters<typeof createWindowing>[0]);
  await windowing.start();
  // Each part once the one before it is emitted: what comes later changes what was written.
  for (const part of parts) {
    await produceSales(transport, topic, part);
    await windowing.caughtUp({ timeoutMs: 60_000 });
  }
  const stats = windowing.stats();
  await windowing.close();
  expect(stats.refusedResults).toBe(0);
  return stats;
}

describe('window results into sinks', () => {
  it('PostgreSQL: session counts, early results and merges, the table equals the batch computation', async () => {
    const table = uniqueName('window_sessions').replaceAll('-', '_');
    const sink = createPostgresSink({
      pool,
      table,
      topics: [windowResultTopic('unused')],
      ensureTable: true,
    });
    // After the generated sales, two sessions per store; once they are written, a sale that
    // bridges them (within the allowed disorder): the two rows go, the merged session comes.
    const generated = generatedSales(800);
    const end = Math.max(...generated.map((sale) => sale.at)) + minute;
    const stores = [...new Set(generated.map((sale) => sale.store))];
    const pairs = stores.flatMap((store) => [
      { store, amount: 1, at: end - 30_000 },
      { store, amount: 1, at: end - 18_000 },
    ]);
    const bridges = stores.map((store) => ({ store, amount: 1, at: end - 21_000 }));
    const sales = withClosing([...generated, ...pairs, ...bridges]);
    const closing = sales.slice(generated.length + pairs.length + bridges.length);
    const stats = await windowInto(
      { sink },
      session({ gapMs: 10_000 }),
      'count',
      [[...generated, ...pairs], bridges, closing],
      'update',
    );
    // Early results, and sessions merged after their parts were emitted: deletes happened.
    expect(stats.retractions).toBeGreaterThan(0);
    const { rows } = await pool.query<{ window_key: string; start_ms: string; value: unknown }>(
      `select window_key, start_ms, value from ${table} where not deleted order by window_key, start_ms`,
    );
    const landed = new Map(rows.map((row) => [`${row.window_key}@${row.start_ms}`, Number(row.value)]));
    const expected = batchSessions(sales, 10_000);
    expect(landed).toEqual(expected);
    await pool.query(`drop table ${table}`);
  }, 120_000);

  it('Redis: tumbling sums, final results, the keys equal the batch computation', async () => {
    const keyPrefix = `${uniqueName('window-sums')}:`;
    const sink = createRedisSink({ redis, topics: [windowResultTopic('unused')], keyPrefix });
    const generated = generatedSales(800);
    await windowInto({ sink }, tumbling({ sizeMs: minute }), 'sum', [withClosing(generated)], 'final');
    const keys = await redis.keys(`${keyPrefix}*`);
    const landed = new Map<string, number>();
    for (const key of keys) {
      const text = await redis.get(key);
      if (text === null) continue;
      const stored = JSON.parse(text) as { windowKey?: string; startMs?: number; value?: number };
      if (stored.windowKey === undefined) continue;
      landed.set(`${stored.windowKey}@${stored.startMs}`, stored.value as number);
    }
    // Final results only: the windows of the closing sales are still open.
    const expected = new Map(
      [...batchTumbling(generated, minute)].map(([id, { sum: total }]) => [id, total]),
    );
    expect(landed).toEqual(expected);
    if (keys.length > 0) await redis.del(...keys);
  }, 120_000);
});
