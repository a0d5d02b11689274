import { resolve } from 'node:path';
import type { KafkaTransport, TopicDefinition } from '@inlet/core';
import {
  type DuckDbReadConnection,
  duckDbTableSink,
  type PostgresQueryable,
  postgresTableSink,
  postgresTableSource,
  type ReconcileReport,
  type ReconcileSide,
  type RedisReadClient,
  reconcile,
  redisSink,
  topicSource,
} from '@inlet/reconcile';
import { createSchemaResolver, openSchemaRegistry } from '@inlet/schema';
import { resolveConfig } from '../cli-config';
import type { CliIo } from '../cli-io';
import { type Command, printJson } from '../command';
import { ExitCode } from '../exit-codes';
import { openTransport } from '../kafka-connection';
import { loadTopicDefinition } from '../load-definitions';
import { parseArgs } from '../parse-args';
import { createProgress } from '../progress';
import { UsageError } from '../usage-error';

const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/test';
const defaultRedisUrl = 'redis://127.0.0.1:6379';
/** How many differing keys of each kind the human output lists. */
const shownKeys = 10;

const usage = `usage: inlet reconcile (--source-table <table> --key <column> | --source-topic <topic> --definitions <module>)
         (--sink-table <table> [--sink-duckdb <file>] | --sink-redis-prefix <prefix>) [options]

Compares a source (a PostgreSQL table, or a topic read from the beginning) with a sink (a
PostgreSQL table, the Redis sink's keys, or a DuckDB table) with @inlet/reconcile: counts and
checksums per bucket, then only the differing buckets key by key. It only reads; it never
repairs either side.

Source, one of:
  --source-table <table>     a PostgreSQL table (name or schema.name)
  --key <column>             its key column (required with --source-table)
  --source-topic <topic>     a topic, read from its first offset to the end it had when the read
                             began and folded per entity key: the newest entity version wins, a
                             tombstone deletes. Key: the event's entity key, as the sinks store it;
                             row: the event data's top-level properties in snake_case
                             (orderId -> order_id), as the sinks derive columns
  --definitions <module>     a module exporting the topic's definition (defineTopic); repeatable,
                             required with --source-topic
  --registry <url>           the schema registry for framed (Avro) values, or file:<path> (env
                             SCHEMA_REGISTRY_URL, config "registryUrl"; credentials from env
                             SCHEMA_REGISTRY_USERNAME and _PASSWORD, or SCHEMA_REGISTRY_TOKEN)
  --brokers <host:port,...>  Kafka brokers, for --source-topic (env KAFKA_BROKERS, INLET_BROKERS)
  --client-id <id>           Kafka client id (env INLET_CLIENT_ID; default inlet-cli)
  --config <file.json>       Kafka settings from a JSON file (env INLET_CONFIG)

Sink, one of:
  --sink-table <table>       a PostgreSQL table, or with --sink-duckdb the DuckDB table
  --sink-duckdb <file>       the sink table is in this DuckDB database file (opened read-only)
  --sink-key <column>        the sink table's key column (default key, as the sinks write it)
  --sink-redis-prefix <p>    the Redis keys under this prefix (the Redis sink's keyPrefix)

  --columns <a,b,...>        the compared columns (default: all of the source's but key and deleted)
  --database-url <url>       PostgreSQL for a table source or sink (env DATABASE_URL;
                             default ${defaultDatabaseUrl})
  --redis-url <url>          Redis (env REDIS_URL; default ${defaultRedisUrl})
  --max-keys <n>             at most n keys per list in the report (default 100; totals stay exact)
  --json                     print the ReconcileReport as JSON on stdout
  --progress                 show progress on stderr even when it is not a terminal
  -h, --help                 this text

Needs the pg package for a PostgreSQL side, ioredis for a Redis sink and @duckdb/node-api for a
DuckDB sink, installed beside @inlet/cli.
--json prints {"source", "sink", "buckets": {"total", "differing"}, "rows": {"source", "sink"},
"missing": [key], "extra": [key], "changed": [key], "totals": {"missing", "extra", "changed"},
"truncated", "columns", "matched", "tookMs"}. Exit 0 matched, 1 differences found, 2 usage,
3 could not run (a database, Redis, Kafka or the registry unreachable, a missing table, column or
topic, an undecodable record, a driver not installed, a definitions module that does not load).`;

const flagSpecs = {
  'source-table': { type: 'string' },
  key: { type: 'string' },
  'source-topic': { type: 'string' },
  definitions: { type: 'strings' },
  registry: { type: 'string' },
  brokers: { type: 'string' },
  'client-id': { type: 'string' },
  config: { type: 'string' },
  columns: { type: 'string' },
  'database-url': { type: 'string' },
  'sink-table': { type: 'string' },
  'sink-duckdb': { type: 'string' },
  'sink-key': { type: 'string' },
  'sink-redis-prefix': { type: 'string' },
  'redis-url': { type: 'string' },
  'max-keys': { type: 'number' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ReconcileFlags = ReturnType<typeof parseArgs<typeof flagSpecs>>['flags'];

type SourceChoice =
  | { readonly kind: 'postgres'; readonly table: string; readonly key: string }
  | { readonly kind: 'topic'; readonly topic: string; readonly definitions: readonly string[] };

type SinkChoice =
  | { readonly kind: 'postgres'; readonly table: string; readonly key: string | undefined }
  | { readonly kind: 'redis'; readonly keyPrefix: string; readonly url: string }
  | {
      readonly kind: 'duckdb';
      readonly file: string;
      readonly table: string;
      readonly key: string | undefined;
    };

/** A checked command line: everything `run` needs, before anything connects. */
export interface ReconcileInvocation {
  readonly source: SourceChoice;
  readonly columns: readonly string[] | undefined;
  /** Set when a side is a PostgreSQL table. */
  readonly databaseUrl: string | undefined;
  readonly sink: SinkChoice;
  readonly maxKeys: number | undefined;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  if (value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return value;
}

/** A usage error for the first of `flags` given, which only apply to `owner`. */
function refuseFlags(flags: ReconcileFlags, names: readonly (keyof ReconcileFlags)[], owner: string): void {
  const given = names.find((name) => flags[name] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given} applies to ${owner} only`);
}

function parseSource(flags: ReconcileFlags): SourceChoice {
  const table = flags['source-table'];
  const topic = flags['source-topic'];
  if (table !== undefined && topic !== undefined)
    throw new UsageError('give one source: --source-table or --source-topic, not both');
  if (topic !== undefined) {
    refuseFlags(flags, ['key'], '--source-table');
    const name = required(topic, '--source-topic');
    const definitions = flags.definitions ?? [];
    if (definitions.length === 0)
      throw new UsageError(
        '--source-topic needs --definitions <module> (the topic definition, to decode events)',
      );
    if (definitions.some((module) => module.trim() === ''))
      throw new UsageError('--definitions must not be empty');
    return { kind: 'topic', topic: name, definitions };
  }
  refuseFlags(flags, ['definitions', 'registry', 'brokers', 'client-id', 'config'], '--source-topic');
  if (table === undefined)
    throw new UsageError('give the source: --source-table <table> --key <column> or --source-topic <topic>');
  return { kind: 'postgres', table: required(table, '--source-table'), key: required(flags.key, '--key') };
}

function parseSink(flags: ReconcileFlags, env: NodeJS.ProcessEnv): SinkChoice {
  const sinkTable = flags['sink-table'];
  const redisPrefix = flags['sink-redis-prefix'];
  const duckDbFile = flags['sink-duckdb'];
  if (duckDbFile !== undefined && redisPrefix !== undefined)
    throw new UsageError('give one sink: --sink-duckdb or --sink-redis-prefix, not both');
  if (sinkTable !== undefined && redisPrefix !== undefined)
    throw new UsageError('give one sink: --sink-table or --sink-redis-prefix, not both');
  if (redisPrefix !== undefined) {
    if (flags['sink-key'] !== undefined) throw new UsageError('--sink-key applies to --sink-table only');
    return {
      kind: 'redis',
      keyPrefix: required(redisPrefix, '--sink-redis-prefix'),
      url: flags['redis-url'] ?? env.REDIS_URL ?? defaultRedisUrl,
    };
  }
  refuseFlags(flags, ['redis-url'], '--sink-redis-prefix');
  if (duckDbFile !== undefined) {
    const file = required(duckDbFile, '--sink-duckdb');
    if (sinkTable === undefined)
      throw new UsageError('--sink-duckdb needs --sink-table <table> (the table in the DuckDB file)');
    return { kind: 'duckdb', file, table: required(sinkTable, '--sink-table'), key: flags['sink-key'] };
  }
  if (sinkTable === undefined)
    throw new UsageError(
      'give the sink: --sink-table <table> or --sink-redis-prefix <prefix> (or --sink-duckdb <file> with --sink-table)',
    );
  return { kind: 'postgres', table: required(sinkTable, '--sink-table'), key: flags['sink-key'] };
}

/** Checks the flags of `inlet reconcile`; every mistake is a `UsageError` naming the flag. */
export function parseReconcileFlags(flags: ReconcileFlags, env: NodeJS.ProcessEnv): ReconcileInvocation {
  const source = parseSource(flags);
  let columns: string[] | undefined;
  if (flags.columns !== undefined) {
    columns = flags.columns.split(',').map((column) => column.trim());
    if (columns.some((column) => column === ''))
      throw new UsageError(`--columns expects a,b,... without empty names, got "${flags.columns}"`);
  }
  const maxKeys = flags['max-keys'];
  if (maxKeys !== undefined && !(Number.isInteger(maxKeys) && maxKeys >= 0))
    throw new UsageError(`--max-keys expects a non-negative integer, got ${maxKeys}`);
  const sink = parseSink(flags, env);
  const usesPostgres = source.kind === 'postgres' || sink.kind === 'postgres';
  if (!usesPostgres) refuseFlags(flags, ['database-url'], '--source-table or a PostgreSQL --sink-table');
  return {
    source,
    columns,
    databaseUrl: usesPostgres ? (flags['database-url'] ?? env.DATABASE_URL ?? defaultDatabaseUrl) : undefined,
    sink,
    maxKeys,
  };
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** pg, ioredis and @duckdb/node-api are not dependencies of @inlet/cli: loaded only when this command runs. */
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

interface DuckDbDatabase {
  readonly connection: DuckDbReadConnection;
  close(): void;
}

async function openDuckDb(file: string, cwd: string): Promise<DuckDbDatabase> {
  const duckdb = await loadDriver('@duckdb/node-api', () => import('@duckdb/node-api'));
  let instance: InstanceType<typeof duckdb.DuckDBInstance>;
  try {
    // Read-only: a missing file is an error instead of a new empty database.
    instance = await duckdb.DuckDBInstance.create(resolve(cwd, file), { access_mode: 'READ_ONLY' });
  } catch (error) {
    throw new Error(
      `cannot open the DuckDB file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
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
  const { source: sourceChoice, sink: sinkChoice } = invocation;
  // Everything a usage error can come from (brokers, definitions) before anything connects.
  const config = sourceChoice.kind === 'topic' ? await resolveConfig(flags, io, flags.registry) : undefined;
  const definition =
    sourceChoice.kind === 'topic'
      ? await loadTopicDefinition(sourceChoice.definitions, sourceChoice.topic, io.cwd)
      : undefined;
  // An empty SCHEMA_REGISTRY_URL (or --registry '') means no registry, as if unset.
  const registryUrl = config?.registryUrl === '' ? undefined : config?.registryUrl;
  await using registry =
    registryUrl === undefined ? undefined : openSchemaRegistry(registryUrl, { env: io.env, cwd: io.cwd });
  await using transport = config === undefined ? undefined : openTransport(config);
  let pool: PgPool | undefined;
  let redis: RedisConnection | undefined;
  let duckDb: DuckDbDatabase | undefined;
  const progress = createProgress('reconcile', io, flags.progress);
  try {
    if (invocation.databaseUrl !== undefined) pool = await openPool(invocation.databaseUrl);
    let source: ReconcileSide;
    if (sourceChoice.kind === 'postgres')
      source = postgresTableSource({
        pool: pool as PgPool,
        table: sourceChoice.table,
        key: sourceChoice.key,
        ...(invocation.columns === undefined ? {} : { columns: invocation.columns }),
      });
    else
      source = topicSource({
        transport: transport as KafkaTransport,
        topic: definition as TopicDefinition,
        ...(registry === undefined ? {} : { registry: createSchemaResolver({ registry }) }),
      });
    let sink: ReconcileSide;
    if (sinkChoice.kind === 'postgres') {
      sink = postgresTableSink({
        pool: pool as PgPool,
        table: sinkChoice.table,
        ...(sinkChoice.key === undefined ? {} : { key: sinkChoice.key }),
      });
    } else if (sinkChoice.kind === 'duckdb') {
      duckDb = await openDuckDb(sinkChoice.file, io.cwd);
      sink = duckDbTableSink({
        connection: duckDb.connection,
        table: sinkChoice.table,
        ...(sinkChoice.key === undefined ? {} : { key: sinkChoice.key }),
      });
    } else {
      redis = await openRedis(sinkChoice.url);
      sink = redisSink({ redis, keyPrefix: sinkChoice.keyPrefix });
    }
    const report = await reconcile({
      source,
      sink,
      ...(invocation.columns === undefined ? {} : { columns: invocation.columns }),
      ...(invocation.maxKeys === undefined ? {} : { maxKeys: invocation.maxKeys }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      onProgress: ({ phase, done, total }) => progress.update(done, total, phase),
    });
    if (flags.json) printJson(io, report);
    else printHuman(io, report);
    return report.matched ? ExitCode.ok : ExitCode.failure;
  } finally {
    progress.finish();
    duckDb?.close();
    redis?.disconnect();
    await pool?.end();
  }
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'compare a table or a topic with a sink (PostgreSQL, Redis or DuckDB)',
  usage,
  run,
};
