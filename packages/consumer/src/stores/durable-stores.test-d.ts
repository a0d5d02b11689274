import type { PostgresPoolClient } from '@inlet/postgres';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import { createPostgresDedupStore } from './postgres-dedup-store';
import { createPostgresTransactionalDedup } from './postgres-transactional-dedup';
import { createPostgresVersionStore } from './postgres-version-store';
import { createRedisDedupStore } from './redis-dedup-store';
import { createRedisVersionStore } from './redis-version-store';
import type { DedupStore, TransactionalDedup, VersionStore } from './stores';

describe('the durable stores take the drivers users already have', () => {
  it('takes an ioredis Redis or Cluster, without this package naming ioredis types', () => {
    const redis = new Redis();
    expectTypeOf(createRedisDedupStore({ redis })).toExtend<DedupStore & AsyncDisposable>();
    expectTypeOf(createRedisVersionStore({ redis })).toExtend<VersionStore & AsyncDisposable>();
    const cluster = new Cluster([]);
    expectTypeOf(createRedisDedupStore({ redis: cluster, prefix: '{inlet}:dedup:' })).toExtend<DedupStore>();
  });

  it('takes a pg.Pool, and a pg.Client where no transaction is needed', () => {
    const pool = new pg.Pool();
    expectTypeOf(createPostgresDedupStore({ pool })).toExtend<DedupStore & AsyncDisposable>();
    expectTypeOf(createPostgresVersionStore({ pool: new pg.Client() })).toExtend<VersionStore>();
  });

  it("hands handlers the structural client, or pg's PoolClient when named", () => {
    const pool = new pg.Pool();
    expectTypeOf(createPostgresTransactionalDedup({ pool })).toExtend<
      TransactionalDedup<PostgresPoolClient>
    >();
    const typed = createPostgresTransactionalDedup<pg.PoolClient>({ pool });
    expectTypeOf(typed).toExtend<TransactionalDedup<pg.PoolClient>>();
    expectTypeOf(typed.run).parameter(2).parameter(0).toEqualTypeOf<pg.PoolClient>();
  });

  it('refuses a client that lacks what the store calls', () => {
    // @ts-expect-error: no pipeline()
    createRedisDedupStore({ redis: { mget: async (keys: string[]) => keys.map(() => null) } });
    // @ts-expect-error: a pg.Client has no connect() returning a releasable client
    createPostgresTransactionalDedup({ pool: new pg.Client() });
  });
});
