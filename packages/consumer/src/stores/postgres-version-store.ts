import { ResourceLifecycle } from '@inlet/core';
import { type PostgresQueryable, PostgresTableSetup, postgresKey, postgresTableName } from '@inlet/postgres';
import { InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import { checkEntityVersions, requireMethods } from './store-arguments';
import type { VersionStore } from './stores';

export interface PostgresVersionStoreOptions {
  /**
   * A `pg.Pool` (or anything with its `query`). The store does not own it: `close()` leaves it
   * open, and ending it is the caller's job.
   */
  readonly pool: PostgresQueryable;
  /** The table of versions, created on first use when missing. Default `inlet_versions`. */
  readonly table?: string;
  /** The table's schema, which must exist. Default: the connection's `search_path`. */
  readonly schema?: string;
}

function versionTableStatements(table: string) {
  return {
    create: `create table if not exists ${table} (
  key text primary key,
  version bigint not null
)`,
    /** $1: keys. */
    latest: `select key, version from ${table} where key = any($1::text[])`,
    /**
     * $1: keys, sorted, without repeats; $2: their versions. The row lock taken by the conflict
     * makes racing records queue, and the `where` keeps the higher version without rewriting
     * rows that already hold it.
     */
    record: `insert into ${table} as stored (key, version)
select key, version from unnest($1::text[], $2::bigint[]) as recorded(key, version)
on conflict (key) do update set version = excluded.version where stored.version < excluded.version`,
  };
}

/** The highest version per key, in key order. */
function highestPerKey(entries: readonly { readonly key: string; readonly version: number }[]) {
  const highest = new Map<string, number>();
  for (const { key, version } of entries) {
    const stored = postgresKey(key);
    const current = highest.get(stored);
    if (current === undefined || version > current) highest.set(stored, version);
  }
  return [...highest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function parseVersion(value: unknown): number {
  // bigint arrives as a string from node-postgres.
  const version = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(version)) {
    throw new InletStoreError(
      StoreErrorCode.storeFailed,
      `PostgreSQL version latest failed: a stored version is not a safe integer (${String(value)})`,
      'postgres',
      undefined,
    );
  }
  return version;
}

/**
 * Entity versions in a PostgreSQL table, one row per entity with the highest version recorded.
 * `latest` and `record` are one statement each; `record` keeps the higher of the stored and the
 * given version atomically, also when members race. Rows are never deleted.
 */
export function createPostgresVersionStore(
  options: PostgresVersionStoreOptions,
): VersionStore & AsyncDisposable {
  requireMethods(options.pool, 'pool', ['query']);
  const { pool } = options;
  const statements = versionTableStatements(
    postgresTableName(options.table, options.schema, 'inlet_versions'),
  );
  const table = new PostgresTableSetup(pool, statements.create);
  const lifecycle = new ResourceLifecycle('PostgreSQL version store');

  async function latest(keys: readonly string[]): Promise<(number | undefined)[]> {
    if (keys.length === 0) return [];
    const stored = keys.map(postgresKey);
    const result = await table.run('version latest', () => pool.query(statements.latest, [stored]));
    const versions = new Map(result.rows.map((row) => [row.key, parseVersion(row.version)]));
    return stored.map((key) => versions.get(key));
  }

  async function record(
    entries: readonly { readonly key: string; readonly version: number }[],
  ): Promise<void> {
    checkEntityVersions(entries);
    if (entries.length === 0) return;
    const highest = highestPerKey(entries);
    const keys = highest.map(([key]) => key);
    const versions = highest.map(([, version]) => String(version));
    await table.run('version record', () => pool.query(statements.record, [keys, versions]));
  }

  const close = () => lifecycle.close();
  return {
    latest: (keys) => lifecycle.run(() => latest(keys)),
    record: (entries) => lifecycle.run(() => record(entries)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
