import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { TopicDefinition, TopicEvent } from '@inlet/core';
import type { Sink } from '@inlet/sinks';
import { createDuckDbSink } from '@inlet/sinks/duckdb';
import { createPostgresSink } from '@inlet/sinks/postgres';
import { createRedisSink } from '@inlet/sinks/redis';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The targets the demo can land its order table in. */
export type DemoSinkKind = 'duckdb' | 'postgres' | 'redis';

export const demoSinkKinds: readonly DemoSinkKind[] = ['duckdb', 'postgres', 'redis'];

/** An order as the target holds it. */
export interface OrderRow {
  readonly revision: number;
  readonly status: string;
}

/** One target for the demo: the sink the pipeline writes, and a way to read the table back. */
export interface DemoSink<TTopic extends TopicDefinition> {
  readonly kind: DemoSinkKind;
  /** Where the table is, for the report: `duckdb :memory: orders_…`. */
  readonly where: string;
  readonly sink: Sink<TopicEvent<TTopic>>;
  /** Every order the target holds (deleted ones left out), by order id. */
  readTable(): Promise<Map<string, OrderRow>>;
  /** Lets go of the target (after the pipeline closed the sink). */
  close(): Promise<void>;
}

export interface DemoSinkOptions {
  /** A DuckDB file; in memory when absent. */
  readonly duckdbFile?: string;
  /** The PostgreSQL database (`postgres://…`). Default `DATABASE_URL`, else the local test database. */
  readonly postgresUrl?: string;
  /** The Redis server (`redis://…`). Default `REDIS_URL`, else the local Redis. */
  readonly redisUrl?: string;
}

/** The order table's name in the target: one per run, so that a file can keep several runs. */
function tableNameOf(topic: TopicDefinition): string {
  return topic.name.replace(/[^A-Za-z0-9_]/g, '_');
}

async function duckDbDemoSink<TTopic extends TopicDefinition>(
  topic: TTopic,
  options: DemoSinkOptions,
): Promise<DemoSink<TTopic>> {
  const database = options.duckdbFile ?? ':memory:';
  const instance = await DuckDBInstance.create(database);
  let connection: DuckDBConnection;
  try {
    connection = await instance.connect();
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  const table = tableNameOf(topic);
  // The connection is the demo's: the pipeline closing the sink leaves it open to read back.
  const sink = createDuckDbSink({ connection, table, topics: [topic], ensureTable: true });
  return {
    kind: 'duckdb',
    where: `duckdb ${database} table ${table}`,
    sink: sink as unknown as Sink<TopicEvent<TTopic>>,
    async readTable() {
      const reader = await connection.runAndReadAll(
        `SELECT key, entity_version, status FROM "${table}" WHERE NOT deleted`,
      );
      const rows = reader.getRowObjectsJS() as { key: string; entity_version: bigint; status: string }[];
      return new Map(
        rows.map((row) => [row.key, { revision: Number(row.entity_version), status: row.status }]),
      );
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function postgresDemoSink<TTopic extends TopicDefinition>(
  topic: TTopic,
  options: DemoSinkOptions,
): Promise<DemoSink<TTopic>> {
  const url = options.postgresUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // Idle connections that drop report here; the sink sees and retries its own failures.
  pool.on('error', () => undefined);
  const table = tableNameOf(topic).toLowerCase();
  const sink = createPostgresSink({ pool, table, topics: [topic], ensureTable: true });
  try {
    await sink.init();
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    kind: 'postgres',
    where: `postgres ${new URL(url).host}${new URL(url).pathname} table ${table}`,
    sink: sink as unknown as Sink<TopicEvent<TTopic>>,
    async readTable() {
      const { rows } = await pool.query<{ key: string; entity_version: string; status: string }>(
        `select key, entity_version, status from ${table} where not deleted`,
      );
      return new Map(
        rows.map((row) => [row.key, { revision: Number(row.entity_version), status: row.status }]),
      );
    },
    close: () => pool.end(),
  };
}

async function redisDemoSink<TTopic extends TopicDefinition>(
  topic: TTopic,
  options: DemoSinkOptions,
): Promise<DemoSink<TTopic>> {
  const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  const keyPrefix = `${tableNameOf(topic)}:`;
  const sink = createRedisSink({ redis, topics: [topic], keyPrefix });
  return {
    kind: 'redis',
    where: `redis ${new URL(url).host} keys ${keyPrefix}*`,
    sink: sink as unknown as Sink<TopicEvent<TTopic>>,
    async readTable() {
      const table = new Map<string, OrderRow>();
      const keys: string[] = [];
      for await (const found of redis.scanStream({ match: `${keyPrefix}*`, count: 500 })) {
        for (const key of found as string[]) if (!key.endsWith(':v')) keys.push(key);
      }
      for (const key of keys) {
        const [value, version] = await Promise.all([redis.get(key), redis.get(`${key}:v`)]);
        if (value === null) continue;
        const order = JSON.parse(value) as { status: string };
        table.set(key.slice(keyPrefix.length), { revision: Number(version), status: order.status });
      }
      return table;
    },
    async close() {
      await redis.quit();
    },
  };
}

/** The demo's target of the given kind. */
export async function createDemoSink<TTopic extends TopicDefinition>(
  kind: DemoSinkKind,
  topic: TTopic,
  options: DemoSinkOptions = {},
): Promise<DemoSink<TTopic>> {
  switch (kind) {
    case 'duckdb':
      return duckDbDemoSink(topic, options);
    case 'postgres':
      return postgresDemoSink(topic, options);
    case 'redis':
      return redisDemoSink(topic, options);
    default:
      throw new Error(`unknown demo sink "${String(kind)}": one of ${demoSinkKinds.join(', ')}`);
  }
}
