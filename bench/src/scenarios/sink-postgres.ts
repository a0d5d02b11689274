import { createEvent, defineEvent, defineTopic, jsonSchema, type TopicEvent } from '@inlet/core';
import type { SinkBatch, SinkChange } from '@inlet/sinks';
import { createPostgresSink } from '@inlet/sinks/postgres';
import pg from 'pg';
import type { Arm, ArmRun, Scenario } from '../harness';

// The PostgreSQL sink's write path, without Kafka: batches of 500 changes straight into
// `sink.write`, against the same upsert written by hand with node-postgres (a named, prepared
// `insert … select from unnest(…) on conflict … where older` statement), and the COPY path
// against the statement path. Each run empties its own table first (not timed), then writes
// every key twice: a first round of inserts, then a round of newer versions (updates). The
// bulk-load and append scenarios compare COPY with the statement on the workloads COPY is for:
// batches of 5 000 into an empty table, and append-only tables (every event a new row).

const defaultBatchSize = 500;

const OrderRevised = defineEvent({
  type: 'order.revised',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      customerId: { type: 'string' },
      status: { type: 'string' },
      total: { type: 'number' },
      revision: { type: 'integer' },
      at: { type: 'string', format: 'date-time' },
      lines: { type: 'array', items: { type: 'object' } },
    },
    required: ['orderId', 'customerId', 'status', 'total', 'revision', 'at', 'lines'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});
const orders = defineTopic({ name: 'bench-orders', events: [OrderRevised] });
type OrderEvent = TopicEvent<typeof orders>;

function batchesOf(keys: number, batchSize: number, revisions = 2): SinkBatch<OrderEvent>[] {
  const at = new Date(Date.now() - 60_000).toISOString();
  const changes: SinkChange<OrderEvent>[] = [];
  for (let revision = 1; revision <= revisions; revision += 1) {
    for (let index = 0; index < keys; index += 1) {
      const data = {
        orderId: `order-${index}`,
        customerId: `customer-${index % 997}`,
        status: revision === 1 ? 'placed' : 'shipped',
        total: 20 + (index % 100) + revision,
        revision,
        at,
        lines: [{ sku: `sku-${index % 50}`, quantity: 1 + (index % 3), price: 10 }],
      };
      const event = createEvent(OrderRevised, data, { source: 'urn:inlet:bench' }) as OrderEvent;
      changes.push({
        kind: 'upsert',
        event,
        key: data.orderId,
        entityVersion: revision,
        offset: String(changes.length),
      });
    }
  }
  const batches: SinkBatch<OrderEvent>[] = [];
  for (let start = 0; start < changes.length; start += batchSize) {
    const slice = changes.slice(start, start + batchSize);
    batches.push({
      groupId: 'bench',
      topic: orders.name,
      partition: 0,
      changes: slice,
      nextOffset: String(start + slice.length),
    });
  }
  return batches;
}

const signal = new AbortController().signal;

/** What ensureTable makes for the bench's order, made by hand for the baseline's table. */
function createTable(table: string): string {
  return `create table if not exists ${table} (key text primary key, entity_version bigint, event_id text, event_time timestamptz, deleted boolean not null default false, order_id text, customer_id text, status text, total double precision, revision bigint, at timestamptz, lines jsonb)`;
}

/** The statement a competent user writes: one round trip per batch, prepared once, the same guard. */
function handWritten(table: string): string {
  return `insert into ${table} as t (key, entity_version, event_id, event_time, deleted, order_id, customer_id, status, total, revision, at, lines)
    select * from unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::boolean[], $6::text[], $7::text[], $8::text[], $9::double precision[], $10::bigint[], $11::timestamptz[], $12::jsonb[])
    on conflict (key) do update set entity_version = excluded.entity_version, event_id = excluded.event_id, event_time = excluded.event_time,
      deleted = excluded.deleted, order_id = excluded.order_id, customer_id = excluded.customer_id, status = excluded.status, total = excluded.total,
      revision = excluded.revision, at = excluded.at, lines = excluded.lines
    where t.entity_version is null or t.entity_version < excluded.entity_version`;
}

async function timed(pool: pg.Pool, table: string, work: number, body: () => Promise<void>): Promise<ArmRun> {
  // With exactly once the offsets go too, or the next run's batches would count as written.
  await pool.query(`truncate ${table}`);
  const started = performance.now();
  await body();
  return { work, wallSeconds: (performance.now() - started) / 1000 };
}

interface Bench {
  readonly pool: pg.Pool;
  readonly batches: readonly SinkBatch<OrderEvent>[];
  readonly work: number;
  table(name: string): string;
  teardown(): Promise<void>;
}

async function benchOf(quick: boolean, batchSize = defaultBatchSize, revisions = 2): Promise<Bench> {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    max: 2,
  });
  // The same 40 000 rows whether written as 20 000 keys twice or 40 000 keys once.
  const batches = batchesOf((quick ? 10_000 : 40_000) / revisions, batchSize, revisions);
  const tables: string[] = [];
  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  return {
    pool,
    batches,
    work: batches.reduce((sum, batch) => sum + batch.changes.length, 0),
    table(name) {
      const table = `bench_${name}_${suffix}`;
      tables.push(table);
      return table;
    },
    async teardown() {
      if (tables.length > 0) await pool.query(`drop table if exists ${tables.join(', ')}`);
      await pool.end();
    },
  };
}

interface SinkArmOptions {
  readonly mode?: 'upsert' | 'append';
  readonly exactlyOnce?: boolean;
}

async function sinkArm(
  bench: Bench,
  label: string,
  write: 'statement' | 'copy',
  { mode = 'upsert', exactlyOnce = false }: SinkArmOptions = {},
): Promise<Arm> {
  const table = bench.table(write);
  const offsetsTable = exactlyOnce ? bench.table(`${write}_offsets`) : undefined;
  const sink = createPostgresSink({
    pool: bench.pool,
    table,
    topics: [orders],
    ensureTable: true,
    write,
    mode,
    exactlyOnce: offsetsTable === undefined ? false : { offsetsTable },
  });
  await sink.init();
  return {
    label,
    run: () =>
      timed(
        bench.pool,
        offsetsTable === undefined ? table : `${table}, ${offsetsTable}`,
        bench.work,
        async () => {
          for (const batch of bench.batches) await sink.write(batch, { signal });
        },
      ),
  };
}

async function handWrittenArm(bench: Bench): Promise<Arm> {
  const table = bench.table('pg');
  await bench.pool.query(createTable(table));
  const query = { name: `bench_upsert_${table}`, text: handWritten(table) };
  return {
    label: 'node-postgres unnest upsert (prepared, hand-written)',
    run: () =>
      timed(bench.pool, table, bench.work, async () => {
        for (const batch of bench.batches) {
          const columns: unknown[][] = Array.from({ length: 12 }, () => []);
          for (const change of batch.changes) {
            if (change.kind !== 'upsert') continue;
            const { event } = change;
            const data = event.data;
            columns[0]?.push(data.orderId);
            columns[1]?.push(change.entityVersion);
            columns[2]?.push(event.id);
            columns[3]?.push(event.eventTime.toISOString());
            columns[4]?.push(false);
            columns[5]?.push(data.orderId);
            columns[6]?.push(data.customerId);
            columns[7]?.push(data.status);
            columns[8]?.push(data.total);
            columns[9]?.push(data.revision);
            columns[10]?.push(data.at);
            columns[11]?.push(JSON.stringify(data.lines));
          }
          await bench.pool.query({ ...query, values: columns });
        }
      }),
  };
}

export const sinkPostgresScenarios: readonly Scenario[] = [
  {
    name: 'sink-postgres-upsert',
    group: 'sinks',
    description:
      'PostgreSQL sink upserts (sink.write, batches of 500, statement path) vs the same unnest upsert hand-written with node-postgres',
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    // The server is shared and its timings swing: more pairs for a steadier median.
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick);
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (statement)', 'statement'),
        baseline: await handWrittenArm(bench),
        teardown: () => bench.teardown(),
      };
    },
  },
  {
    name: 'sink-postgres-copy',
    group: 'sinks',
    description:
      "PostgreSQL sink, write: 'copy' (COPY into a staging table, one merge per batch) vs write: 'statement', batches of 500",
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    // The server is shared and its timings swing: more pairs for a steadier median.
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick);
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (copy)', 'copy'),
        baseline: await sinkArm(bench, 'inlet postgres sink (statement)', 'statement'),
        teardown: () => bench.teardown(),
      };
    },
  },
  {
    name: 'sink-postgres-copy-5000',
    group: 'sinks',
    description:
      "The same as sink-postgres-copy with batches of 5 000 (maxBatch: 5000): where COPY's cheaper transfer shows",
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick, 5_000);
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (copy, 5 000 per batch)', 'copy'),
        baseline: await sinkArm(bench, 'inlet postgres sink (statement, 5 000 per batch)', 'statement'),
        teardown: () => bench.teardown(),
      };
    },
  },
  {
    name: 'sink-postgres-bulk-load',
    group: 'sinks',
    description:
      "PostgreSQL sink bulk load, upsert mode: 40 000 new keys into an empty table, 5 000 per batch, write: 'copy' vs write: 'statement'",
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick, 5_000, 1);
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (copy, bulk load)', 'copy'),
        baseline: await sinkArm(bench, 'inlet postgres sink (statement, bulk load)', 'statement'),
        teardown: () => bench.teardown(),
      };
    },
  },
  {
    name: 'sink-postgres-append-copy',
    group: 'sinks',
    description:
      "PostgreSQL sink, append mode with exactlyOnce, 5 000 per batch: write: 'copy' (COPY straight into the table) vs write: 'statement'",
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick, 5_000);
      const options = { mode: 'append', exactlyOnce: true } as const;
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (append, exactly once, copy)', 'copy', options),
        baseline: await sinkArm(
          bench,
          'inlet postgres sink (append, exactly once, statement)',
          'statement',
          options,
        ),
        teardown: () => bench.teardown(),
      };
    },
  },
  {
    name: 'sink-postgres-append-copy-500',
    group: 'sinks',
    description:
      "The same as sink-postgres-append-copy with batches of 500: COPY straight into the table at the pipeline's default batch size",
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick, 500);
      const options = { mode: 'append', exactlyOnce: true } as const;
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (append, exactly once, copy, 500)', 'copy', options),
        baseline: await sinkArm(
          bench,
          'inlet postgres sink (append, exactly once, statement, 500)',
          'statement',
          options,
        ),
        teardown: () => bench.teardown(),
      };
    },
  },
  {
    name: 'sink-postgres-append-copy-staged',
    group: 'sinks',
    description:
      "PostgreSQL sink, append mode without exactlyOnce, 5 000 per batch: write: 'copy' (staging table, then insert … on conflict (event_id) do nothing) vs write: 'statement'",
    unit: 'rows/s',
    better: 'higher',
    needsKafka: false,
    pairs: 10,
    async prepare({ quick }) {
      const bench = await benchOf(quick, 5_000);
      const options = { mode: 'append' } as const;
      return {
        ours: await sinkArm(bench, 'inlet postgres sink (append, copy, staged)', 'copy', options),
        baseline: await sinkArm(bench, 'inlet postgres sink (append, statement)', 'statement', options),
        teardown: () => bench.teardown(),
      };
    },
  },
];
