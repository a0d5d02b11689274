import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersTable, orderCount, readOrders, tableName, tampered } from './orders.test-support';
import { postgresTableSource } from './postgres-table';
import { reconcile } from './reconcile';
import { ReconcileErrorCode } from './reconcile-error-code';
import { redisSink } from './redis-sink';

const environment = testEnvironment();
let pool: pg.Pool;
let redis: Redis;
const source = tableName('rec_redis_src');
const keyPrefix = `${uniqueName('rec')}:`;

async function removeKeys(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  redis = new Redis(environment.redisUrl);
  await createOrdersTable(pool, source);
  // What the Redis sink writes (format json): the value under keyPrefix + id, its version beside it.
  const orders = await readOrders(pool, source);
  for (let at = 0; at < orders.length; at += 5000) {
    const pipeline = redis.pipeline();
    for (const { id, ...data } of orders.slice(at, at + 5000)) {
      pipeline.set(`${keyPrefix}${id}`, JSON.stringify(data));
      pipeline.set(`${keyPrefix}${id}:v`, '1');
    }
    await pipeline.exec();
  }
  // A delete (deletes: 'remove' keeps the version key), a change, and a key nobody wrote.
  await redis.del(`${keyPrefix}${tampered.deleted}`);
  const changed = orders.find((order) => order.id === tampered.changed);
  await redis.set(`${keyPrefix}${tampered.changed}`, JSON.stringify({ ...changed, id: undefined, qty: 1 }));
  await redis.set(`${keyPrefix}${tampered.extra}`, JSON.stringify({ name: 'stray' }));
}, 120_000);

afterAll(async () => {
  await pool.query(`drop table if exists ${source}`);
  await pool.end();
  await removeKeys(keyPrefix);
  redis.disconnect();
});

describe('PostgreSQL → Redis', () => {
  it(`finds the deleted, the changed and the extra entity of ${orderCount} and nothing else`, async () => {
    const report = await reconcile({
      source: postgresTableSource({ pool, table: source, key: 'id' }),
      sink: redisSink({ redis, keyPrefix }),
    });
    expect(report).toMatchObject({
      sink: `redis:${keyPrefix}*`,
      missing: [tampered.deleted],
      changed: [tampered.changed],
      extra: [tampered.extra],
      totals: { missing: 1, changed: 1, extra: 1 },
      rows: { source: orderCount, sink: orderCount },
    });
    console.log(`PostgreSQL → Redis, ${orderCount} rows: ${report.tookMs} ms`);
  });

  it('reads hashes, skips delete markers, and names a value that is not JSON', async () => {
    const prefix = `${uniqueName('rec-hash')}:`;
    try {
      await redis.hset(`${prefix}a`, { name: 'x', qty: '3' });
      await redis.hset(`${prefix}b`, { __deleted: 'true' });
      const report = await reconcile({
        source: redisSink({ redis, keyPrefix: prefix, format: 'hash' }),
        sink: redisSink({ redis, keyPrefix: prefix, format: 'hash' }),
      });
      expect(report).toMatchObject({ matched: true, rows: { source: 1, sink: 1 }, columns: ['name', 'qty'] });
      await redis.set(`${prefix}c`, 'not json');
      await expect(
        reconcile({
          source: redisSink({ redis, keyPrefix: prefix }),
          sink: redisSink({ redis, keyPrefix: prefix }),
        }),
      ).rejects.toMatchObject({ code: ReconcileErrorCode.unreadableValue });
    } finally {
      await removeKeys(prefix);
    }
  });
});
