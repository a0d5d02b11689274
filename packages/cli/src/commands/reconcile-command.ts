import {
  type PostgresQueryable,
  postgresTableSink,
  postgresTableSource,
  type ReconcileReport,
  type ReconcileSide,
  type RedisReadClient,
  reconcile,
  redisSink,
} from '@inlet/reconcile';
import type { CliIo } from '../cli-io';
import { type Command, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { parseArgs } from '../parse-args';
import { createProgress } from '../progress';
import { UsageError } from '../usage-error';

const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/test';
const defaultRedisUrl = 'redis://127.0.0.1:6379';
/** How many differing keys of each kind the human output lists. */
const shownKeys = 10;

const usage = `usage: inlet reconcile --source-table <table> --key <column> (--sink-table <table> | --sink-redis-prefix <prefix>) [options]

Compares a PostgreSQL source table with a sink (a PostgreSQL table, or the Redis sink's keys) with
@inlet/reconcile: counts and checksums per bucket, then only the differing buckets key by key.
It only reads; it never repairs either side.

  --source-table <table>     the source table (name or schema.name, required)
  --key <column>             the source's key column (required)
  --columns <a,b,...>        the compared columns (default: all of the source's but key and deleted)
  --database-url <url>       PostgreSQL for the source and a table sink (env DATABASE_URL;
                             default ${defaultDatabaseUrl})
  --sink-table <table>       the sink is this PostgreSQL table
  --sink-key <column>        the sink table's key column (default key)
  --sink-redis-prefix <p>    the sink is the Redis keys under this prefix (the Redis sink's keyPrefix)
  --redis-url <url>          Redis (env REDIS_URL; default ${defaultRedisUrl})
  --max-keys <n>             at most n keys per list in the report (default 100; totals stay exact)
  --json                     print the ReconcileReport as JSON on stdout
  --progress                 show progress on stderr even when it is not a terminal
  -h, --help                 this text

Needs the pg package (and ioredis for a Redis sink) installed beside @inlet/cli.
--json prints {"source", "sink", "buckets": {"total", "differing"}, "rows": {"source", "sink"},
"missing": [key], "extra": [key], "changed": [key], "totals": {"missing", "extra", "changed"},
"truncated", "columns", "matched", "tookMs"}. Exit 0 matched, 1 differences found, 2 usage,
3 could not run (database or Redis unreachable, a missing table or column, pg/ioredis not installed).`;

const flagSpecs = {
  'source-table': { type: 'string' },
  key: { type: 'string' },
  columns: { type: 'string' },
  'database-url': { type: 'string' },
  'sink-table': { type: 'string' },
  'sink-key': { type: 'string' },
  'sink-redis-prefix': { type: 'string' },
  'redis-url': { type: 'string' },
  'max-keys': { type: 'number' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type SinkChoice =
  | { readonly kind: 'postgres'; readonly table: string; readonly key: string | undefined }
  | { readonly kind: 'redis'; readonly keyPrefix: string; readonly url: string };

/** A checked command line: everything `run` needs, before anything connects. */
export interface ReconcileInvocation {
  readonly sourceTable: string;
  readonly key: string;
  readonly columns: readonly string[] | undefined;
  readonly databaseUrl: string;
  readonly sink: SinkChoice;
  readonly maxKeys: number | undefined;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  if (value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return value;
}

/** Checks the flags of `inlet reconcile`; every mistake is a `UsageError` naming the flag. */
export function parseReconcileFlags(
  flags: ReturnType<typeof parseArgs<typeof flagSpecs>>['flags'],
  env: NodeJS.ProcessEnv,
): ReconcileInvocation {
  const sourceTable = required(flags['source-table'], '--source-table');
  const key = required(flags.key, '--key');
  let columns: string[] | undefined;
  if (flags.columns !== undefined) {
    columns = flags.columns.split(',').map((column) => column.trim());
    if (columns.some((column) => column === ''))
      throw new UsageError(`--columns expects a,b,... without empty names, got "${flags.columns}"`);
  }
  const maxKeys = flags['max-keys'];
  if (maxKeys !== undefined && !(Number.isInteger(maxKeys) && maxKeys >= 0))
    throw new UsageError(`--max-keys expects a non-negative integer, got ${maxKeys}`);
  const sinkTable = flags['sink-table'];
  const redisPrefix = flags['sink-redis-prefix'];
  if (sinkTable !== undefined && redisPrefix !== undefined)
    throw new UsageError('give one sink: --sink-table or --sink-redis-prefix, not both');
  let sink: SinkChoice;
  if (sinkTable !== undefined) {
    if (flags['redis-url'] !== undefined)
      throw new UsageError('--redis-url applies to --sink-redis-prefix only');
    sink = { kind: 'postgres', table: required(sinkTable, '--sink-table'), key: flags['sink-key'] };
  } else if (redisPrefix !== undefined) {
    if (flags['sink-key'] !== undefined) throw new UsageError('--sink-key applies to --sink-table only');
    sink = {
      kind: 'redis',
      keyPrefix: required(redisPrefix, '--sink-redis-prefix'),
      url: flags['redis-url'] ?? env.REDIS_URL ?? defaultRedisUrl,
    };
  } else throw new UsageError('give the sink: --sink-table <table> or --sink-redis-prefix <prefix>');
  return {
    sourceTable,
    key,
    columns,
    databaseUrl: flags['database-url'] ?? env.DATABASE_URL ?? defaultDatabaseUrl,
    sink,
    maxKeys,
  };
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** pg and ioredis are not dependencies of @inlet/cli: loaded only when this command runs. */
export async function loadDriver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error))
      throw new Error(
        `the ${name} package is not installed: install ${name} (npm install ${name}) to use it`,
        {
          cause: error,
        },
      );
    throw error;
  }
}

/** host:port/database of a connection URL, never its credentials. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the given URL';
  }
}

interface PgPool extends PostgresQueryable {
  end(): Promise<void>;
}

async function openPool(databaseUrl: string): Promise<PgPool> {
  const pg = await loadDriver('pg', () => import('pg'));
  const Pool = pg.default.Pool;
  const pool = new Pool({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000, max: 2 });
  // An idle client's error (the server went away) must not crash the process.
  pool.on('error', () => undefined);
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end();
    throw new Error(
      `cannot connect to PostgreSQL at ${describeUrl(databaseUrl)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return pool;
}

interface RedisConnection extends RedisReadClient {
  connect(): Promise<void>;
  disconnect(): void;
}

async function openRedis(url: string): Promise<RedisConnection> {
  const ioredis = await loadDriver('ioredis', () => import('ioredis'));
  const redis = new ioredis.Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `cannot connect to Redis at ${describeUrl(url)}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return redis as unknown as RedisConnection;
}

function printHuman(io: CliIo, report: ReconcileReport): void {
  const { totals } = report;
  io.stdout(
    `${report.source} -> ${report.sink}: ${report.matched ? 'matched' : 'differences found'}\n` +
      `rows: source ${report.rows.source}, sink ${report.rows.sink}; buckets differing ${report.buckets.differing}/${report.buckets.total}; ${report.tookMs} ms\n` +
      `missing ${totals.missing}, extra ${totals.extra}, changed ${totals.changed}\n`,
  );
  for (const kind of ['missing', 'extra', 'changed'] as const) {
    const keys = report[kind];
    if (keys.length === 0) continue;
    const shown = keys.slice(0, shownKeys);
    const more = totals[kind] - shown.length;
    io.stdout(`${kind}: ${shown.join(', ')}${more > 0 ? ` (and ${more} more)` : ''}\n`);
  }
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(args, flagSpecs);
  if (flags.help) {
    io.stdout(`${usage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const invocation = parseReconcileFlags(flags, io.env);
  const pool = await openPool(invocation.databaseUrl);
  let redis: RedisConnection | undefined;
  const progress = createProgress('reconcile', io, flags.progress);
  try {
    const source = postgresTableSource({
      pool,
      table: invocation.sourceTable,
      key: invocation.key,
      ...(invocation.columns === undefined ? {} : { columns: invocation.columns }),
    });
    let sink: ReconcileSide;
    if (invocation.sink.kind === 'postgres') {
      sink = postgresTableSink({
        pool,
        table: invocation.sink.table,
        ...(invocation.sink.key === undefined ? {} : { key: invocation.sink.key }),
      });
    } else {
      redis = await openRedis(invocation.sink.url);
      sink = redisSink({ redis, keyPrefix: invocation.sink.keyPrefix });
    }
    const report = await reconcile({
      source,
      sink,
      ...(invocation.columns === undefined ? {} : { columns: invocation.columns }),
      ...(invocation.maxKeys === undefined ? {} : { maxKeys: invocation.maxKeys }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      onProgress: ({ done, total }) => progress.update(done, total),
    });
    if (flags.json) printJson(io, report);
    else printHuman(io, report);
    return report.matched ? ExitCode.ok : ExitCode.failure;
  } finally {
    progress.finish();
    redis?.disconnect();
    await pool.end();
  }
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'compare a PostgreSQL table with a sink (PostgreSQL or Redis)',
  usage,
  run,
};
