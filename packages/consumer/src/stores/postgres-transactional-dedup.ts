import { ResourceLifecycle } from '@inlet/core';
import {
  classifyPostgresError,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  postgresKey,
} from '@inlet/postgres';
import { InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import { dedupTable } from './postgres-dedup-table';
import { requireMethods, ttlMillis } from './store-arguments';
import type { TransactionalDedup } from './stores';

export interface PostgresTransactionalDedupOptions<TClient extends PostgresPoolClient = PostgresPoolClient> {
  /**
   * A `pg.Pool` (or anything with its `query` and `connect`). Each `run` checks out one client for
   * its transaction. The store does not own the pool: `close()` leaves it open.
   */
  readonly pool: PostgresPool<TClient>;
  /**
   * The table of marks, created on first use when missing. Default `inlet_dedup`, the layout of
   * `createPostgresDedupStore`, so both may share a table.
   */
  readonly table?: string;
  /** The table's schema, which must exist. Default: the connection's `search_path`. */
  readonly schema?: string;
  /** As for `createPostgresDedupStore`: the least time between two deletes of expired marks. */
  readonly purgeIntervalMs?: number | false;
}

/**
 * Runs each handler's work in a PostgreSQL transaction that first writes the dedup mark, so the
 * handler's own writes (made with the client it is given) and the mark commit together or not at
 * all. The mark is inserted before the work: a live mark means `duplicate` (nothing runs), and a
 * member running the same key at the same time waits on the row until the first commits (then
 * it is a duplicate) or rolls back (then it runs). Work that throws rolls everything back.
 *
 * With `pg`, name the client type to give handlers pg's own: `createPostgresTransactionalDedup<
 * PoolClient>({ pool })`. Handlers must not commit, roll back or release the client themselves.
 */
export function createPostgresTransactionalDedup<TClient extends PostgresPoolClient = PostgresPoolClient>(
  options: PostgresTransactionalDedupOptions<TClient>,
): TransactionalDedup<TClient> & AsyncDisposable {
  requireMethods(options.pool, 'pool', ['query', 'connect']);
  const { pool } = options;
  const { statements, setup: table, purge } = dedupTable(pool, options);
  const lifecycle = new ResourceLifecycle('PostgreSQL transactional dedup');

  // Our own statements: their errors leave classified. The work's errors leave as they came.
  async function query(client: TClient, operation: string, text: string, values?: unknown[]) {
    try {
      return await client.query(text, values);
    } catch (error) {
      throw table.classify(error, `transactional dedup ${operation}`);
    }
  }

  // Resolves the error to destroy the client with when the rollback failed (the connection is
  // gone or in an unknown state), undefined when the client may go back to the pool.
  async function rollback(client: TClient): Promise<Error | undefined> {
    try {
      await client.query('rollback');
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  function checkCommitted(result: PostgresQueryResult): void {
    // PostgreSQL answers COMMIT of a transaction in which a statement failed with ROLLBACK, and
    // no error: work that caught a failed statement's error and went on lands here.
    if (result.command === 'ROLLBACK') {
      throw new InletStoreError(
        StoreErrorCode.storeFailed,
        'PostgreSQL transactional dedup commit failed: the transaction was rolled back, because a ' +
          'statement in it failed (the handler caught that error)',
        'postgres',
        '25P02',
      );
    }
  }

  // Marks the keys in an open transaction; which of them this transaction marked.
  async function markFresh(client: TClient, keys: readonly string[], ttl: number): Promise<boolean[]> {
    const stored = keys.map(postgresKey);
    if (stored.length === 1) {
      const marked = await query(client, 'mark', statements.markIfExpired, [stored[0], ttl]);
      return [marked.rows.length > 0];
    }
    // Sorted, so that members marking overlapping keys lock the rows in the same order.
    const unique = [...new Set(stored)].sort();
    const marked = await query(client, 'mark', statements.markManyIfExpired, [unique, ttl]);
    const fresh = new Set(marked.rows.map((row) => row.key as string));
    return stored.map((key) => fresh.delete(key));
  }

  async function inTransaction(
    client: TClient,
    keys: readonly string[],
    ttl: number,
    work: (transaction: TClient, fresh: readonly boolean[]) => Promise<void>,
  ): Promise<boolean[]> {
    await query(client, 'begin', 'begin');
    const fresh = await markFresh(client, keys, ttl);
    if (!fresh.includes(true)) {
      await query(client, 'rollback', 'rollback');
      return fresh;
    }
    await work(client, fresh);
    checkCommitted(await query(client, 'commit', 'commit'));
    return fresh;
  }

  async function runBatch(
    keys: readonly string[],
    ttlMs: number,
    work: (transaction: TClient, fresh: readonly boolean[]) => Promise<void>,
  ): Promise<boolean[]> {
    const ttl = ttlMillis(ttlMs);
    if (keys.length === 0) return [];
    await table.ready();
    let client: TClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw classifyPostgresError(error, 'transactional dedup connect');
    }
    // Set when the connection broke: the client is then destroyed rather than given back.
    let broken: Error | undefined;
    const onConnectionError = (error: Error) => {
      broken ??= error;
    };
    client.on('error', onConnectionError);
    try {
      const fresh = await inTransaction(client, keys, ttl, work);
      if (fresh.includes(true)) {
        const purging = purge?.startIfDue();
        if (purging !== undefined) lifecycle.track(purging);
      }
      return fresh;
    } catch (error) {
      broken ??= await rollback(client);
      throw error;
    } finally {
      client.removeListener('error', onConnectionError);
      client.release(broken);
    }
  }

  async function run(
    key: string,
    ttlMs: number,
    work: (transaction: TClient) => Promise<void>,
  ): Promise<'handled' | 'duplicate'> {
    const [fresh] = await runBatch([key], ttlMs, (transaction) => work(transaction));
    return fresh === true ? 'handled' : 'duplicate';
  }

  const close = () => lifecycle.close();
  return {
    run: (key, ttlMs, work) => lifecycle.run(() => run(key, ttlMs, work)),
    runBatch: (keys, ttlMs, work) => lifecycle.run(() => runBatch(keys, ttlMs, work)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
