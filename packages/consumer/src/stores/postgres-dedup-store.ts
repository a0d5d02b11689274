import { ResourceLifecycle } from '@inlet/core';
import { type PostgresQueryable, postgresKey } from '@inlet/postgres';
import { dedupTable } from './postgres-dedup-table';
import { requireMethods, ttlMillis } from './store-arguments';
import type { DedupStore } from './stores';

export interface PostgresDedupStoreOptions {
  /**
   * A `pg.Pool` (or anything with its `query`). The store does not own it: `close()` leaves it
   * open, and ending it is the caller's job.
   */
  readonly pool: PostgresQueryable;
  /** The table of marks, created on first use when missing. Default `inlet_dedup`. */
  readonly table?: string;
  /** The table's schema, which must exist. Default: the connection's `search_path`. */
  readonly schema?: string;
  /**
   * The least time between two deletes of expired marks, started by `mark()` (there is no timer).
   * `false` never deletes them, for when a scheduled job does. Default 5 minutes.
   */
  readonly purgeIntervalMs?: number | false;
}

/**
 * A dedup store in a PostgreSQL table, one row per mark with its expiry. `seen` and `mark` are one
 * statement each however many keys they get; expired rows are ignored by `seen` and deleted in
 * small batches every few minutes. Marks survive restarts and are shared by the whole group.
 */
export function createPostgresDedupStore(options: PostgresDedupStoreOptions): DedupStore & AsyncDisposable {
  requireMethods(options.pool, 'pool', ['query']);
  const { pool } = options;
  const { statements, setup: table, purge } = dedupTable(pool, options);
  const lifecycle = new ResourceLifecycle('PostgreSQL dedup store');

  async function seen(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const stored = keys.map(postgresKey);
    const result = await table.run('dedup seen', () => pool.query(statements.seen, [stored]));
    const live = new Set(result.rows.map((row) => row.key));
    return stored.map((key) => live.has(key));
  }

  async function mark(keys: readonly string[], ttlMs: number): Promise<void> {
    const ttl = ttlMillis(ttlMs);
    if (keys.length === 0) return;
    // Sorted, so that two members marking overlapping keys lock the rows in the same order.
    const stored = [...new Set(keys.map(postgresKey))].sort();
    await table.run('dedup mark', () => pool.query(statements.mark, [stored, ttl]));
    const purging = purge?.startIfDue();
    if (purging !== undefined) lifecycle.track(purging);
  }

  const close = () => lifecycle.close();
  return {
    seen: (keys) => lifecycle.run(() => seen(keys)),
    mark: (keys, ttlMs) => lifecycle.run(() => mark(keys, ttlMs)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
