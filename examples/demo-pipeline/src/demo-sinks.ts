import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { TopicDefinition, TopicEvent } from '@inlet/core';
import type { Sink } from '@inlet/sinks';
import { createDuckDbSink } from '@inlet/sinks/duckdb';

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
    case 'redis':
      throw new Error(`the demo's ${kind} sink is not yet wired in (the ${kind} sink is being built)`);
    default:
      throw new Error(`unknown demo sink "${String(kind)}": one of ${demoSinkKinds.join(', ')}`);
  }
}
