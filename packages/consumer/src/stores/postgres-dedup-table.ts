import { type PostgresQueryable, PostgresTableSetup, postgresTableName } from '@inlet/postgres';
import { ExpiredMarkPurge } from './expired-mark-purge';
import { purgeIntervalOption } from './postgres-purge-option';

/** The default table of the PostgreSQL dedup store and the transactional dedup, which share a layout. */
export const defaultDedupTable = 'inlet_dedup';

/** Between two purges of expired marks, by default. */
export const defaultPurgeIntervalMs = 5 * 60_000;

/** The most expired marks one purge deletes. */
const purgeBatchSize = 10_000;

// Expiry is computed and compared on the server's clock only, so members with skewed clocks agree.
const expiresAfterTtl = `now() + $2::double precision * interval '1 millisecond'`;

/**
 * The statements on a dedup table: one row per live (or not yet purged) mark, keyed by the mark's
 * key. No index on `expires_at`: it would cost every mark an index write, for a purge that runs
 * once every few minutes.
 */
export function dedupTableStatements(table: string) {
  return {
    create: `create table if not exists ${table} (
  key text primary key,
  expires_at timestamptz not null
)`,
    /** $1: keys. */
    seen: `select key from ${table} where key = any($1::text[]) and expires_at > now()`,
    /** $1: keys, sorted, without repeats (one statement may not touch a row twice); $2: ttl ms. */
    mark: `insert into ${table} (key, expires_at)
select key, ${expiresAfterTtl} from unnest($1::text[]) as marked(key)
on conflict (key) do update set expires_at = excluded.expires_at`,
    /**
     * $1: key; $2: ttl ms. Returns the key when it was not marked or its mark had expired; no row
     * when a live mark exists. Waits while another transaction holds a mark for the same key.
     */
    markIfExpired: `insert into ${table} as mark (key, expires_at) values ($1, ${expiresAfterTtl})
on conflict (key) do update set expires_at = excluded.expires_at where mark.expires_at <= now()
returning key`,
    /**
     * $1: keys, sorted, without repeats; $2: ttl ms. Returns the keys it marked: those not marked
     * or whose mark had expired. Waits while other transactions hold marks for some of the keys.
     */
    markManyIfExpired: `insert into ${table} as mark (key, expires_at)
select key, ${expiresAfterTtl} from unnest($1::text[]) as marked(key)
on conflict (key) do update set expires_at = excluded.expires_at where mark.expires_at <= now()
returning key`,
    /** $1: the most rows to delete; returns how many it deleted. Skips rows others hold. */
    purge: `with purged as (
  delete from ${table} where key in (
    select key from ${table} where expires_at <= now() limit $1 for update skip locked
  ) returning 1
) select count(*)::integer as purged from purged`,
  };
}

/**
 * What the dedup store and the transactional dedup both set up on their table: its statements,
 * its creation on first use, and (unless `purgeIntervalMs` is false) the purge of expired marks.
 */
export function dedupTable(
  pool: PostgresQueryable,
  options: { readonly table?: string; readonly schema?: string; readonly purgeIntervalMs?: number | false },
) {
  const statements = dedupTableStatements(
    postgresTableName(options.table, options.schema, defaultDedupTable),
  );
  const purgeIntervalMs = purgeIntervalOption(options.purgeIntervalMs);
  const purge =
    purgeIntervalMs === false
      ? undefined
      : new ExpiredMarkPurge({
          intervalMs: purgeIntervalMs,
          batchSize: purgeBatchSize,
          purge: async (limit) => {
            const result = await pool.query(statements.purge, [limit]);
            return Number(result.rows[0]?.purged ?? 0);
          },
        });
  return { statements, setup: new PostgresTableSetup(pool, statements.create), purge };
}
