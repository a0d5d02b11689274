import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { createEvent, defineTopic, type TopicEvent } from '@inlet/core';
import type { SinkBatch, SinkChange } from '@inlet/sinks';
import { createDuckDbSink } from '@inlet/sinks/duckdb';
import type { Arm, ArmRun, Scenario } from '../harness';
import { OrderPlacedJson, sampleOrders } from './envelope';

// What the DuckDB sink costs over DuckDB's own appender: the same orders, in batches of 500,
// appended through `sink.write` (rows mapped from the events' schema, written as data chunks, one
// flush per batch, offsets stored at most a second behind) against the appender filled by hand
// with one flush per batch, so that both make each batch visible before the next. Two baselines:
// the appender's row API (a value at a time, what the appender is mostly used with), and its
// data-chunk API (what the sink itself uses), which shows the sink's own cost alone.

const orders = defineTopic({ name: 'bench-orders', events: [OrderPlacedJson] });
type OrderEvent = TopicEvent<typeof orders>;
const batchSize = 500;

const createTable = `CREATE TABLE orders (
  key VARCHAR, entity_version BIGINT, event_id VARCHAR, event_time TIMESTAMPTZ, deleted BOOLEAN,
  order_id VARCHAR, customer_id VARCHAR, total DOUBLE, currency VARCHAR, placed_at VARCHAR, lines JSON)`;

/** `count` orders in batches of 500; `passes` times over, each pass a newer version of every order. */
function batchesOf(count: number, passes = 1): SinkBatch<OrderEvent>[] {
  const orderData = sampleOrders(count);
  const changes: SinkChange<OrderEvent>[] = [];
  for (let pass = 0; pass < passes; pass += 1)
    for (const data of orderData) {
      const event = createEvent(
        OrderPlacedJson,
        { ...data, total: data.total + pass },
        { source: 'urn:inlet:bench' },
      ) as OrderEvent;
      const entityVersion = passes === 1 ? undefined : pass;
      changes.push({ kind: 'upsert', event, key: event.key, entityVersion, offset: String(changes.length) });
    }
  const batches: SinkBatch<OrderEvent>[] = [];
  for (let start = 0; start < changes.length; start += batchSize) {
    const part = changes.slice(start, start + batchSize);
    batches.push({
      groupId: 'bench',
      topic: orders.name,
      partition: 0,
      changes: part,
      nextOffset: String(start + part.length),
    });
  }
  return batches;
}

type Connection = Awaited<ReturnType<DuckDBInstance['connect']>>;

/** A fresh in-memory database with the table; `fill` timed alone, after `setup`. */
async function timed<TSetup>(
  rows: number,
  setup: (connection: Connection) => Promise<TSetup>,
  fill: (connection: Connection, prepared: TSetup) => Promise<void>,
  { table = createTable, work = rows }: { readonly table?: string; readonly work?: number } = {},
): Promise<ArmRun> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(table);
  const prepared = await setup(connection);
  const started = performance.now();
  await fill(connection, prepared);
  const wallSeconds = (performance.now() - started) / 1000;
  const count = (await connection.runAndReadAll('SELECT count(*) AS n FROM orders')).getRowObjectsJS()[0] as {
    n: bigint;
  };
  connection.closeSync();
  instance.closeSync();
  if (Number(count.n) !== rows) throw new Error(`expected ${rows} rows, found ${count.n}`);
  return { work, wallSeconds };
}

function appendByHand(appender: DuckDBAppender, change: SinkChange<OrderEvent>): void {
  if (change.kind !== 'upsert') return;
  const { event } = change;
  appender.appendVarchar(event.key as string);
  if (change.entityVersion === undefined) appender.appendNull();
  else appender.appendBigInt(BigInt(change.entityVersion));
  appender.appendVarchar(event.id);
  appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(event.eventTime.getTime()) * 1000n));
  appender.appendBoolean(false);
  appender.appendVarchar(event.data.orderId);
  appender.appendVarchar(event.data.customerId);
  appender.appendDouble(event.data.total);
  appender.appendVarchar(event.data.currency);
  appender.appendVarchar(event.data.placedAt);
  appender.appendVarchar(JSON.stringify(event.data.lines));
  appender.endRow();
}

const chunkTypes = [
  VARCHAR,
  BIGINT,
  VARCHAR,
  TIMESTAMPTZ,
  BOOLEAN,
  VARCHAR,
  VARCHAR,
  DOUBLE,
  VARCHAR,
  VARCHAR,
  VARCHAR,
];

function chunkByHand(changes: readonly SinkChange<OrderEvent>[]): DuckDBDataChunk {
  const events = changes.flatMap((change) => (change.kind === 'upsert' ? [change.event] : []));
  const chunk = DuckDBDataChunk.create(chunkTypes, events.length);
  chunk.setColumns([
    events.map((event) => event.key as string),
    events.map(() => null),
    events.map((event) => event.id),
    events.map((event) => new DuckDBTimestampTZValue(BigInt(event.eventTime.getTime()) * 1000n)),
    events.map(() => false),
    events.map((event) => event.data.orderId),
    events.map((event) => event.data.customerId),
    events.map((event) => event.data.total),
    events.map((event) => event.data.currency),
    events.map((event) => event.data.placedAt),
    events.map((event) => JSON.stringify(event.data.lines)),
  ]);
  return chunk;
}

function sinkArm(batches: readonly SinkBatch<OrderEvent>[], rows: number): Arm {
  const signal = new AbortController().signal;
  return {
    label: 'inlet DuckDB sink (append)',
    run: () =>
      timed(
        rows,
        async (connection) => {
          const sink = createDuckDbSink({ connection, table: 'orders', topics: [orders], mode: 'append' });
          // Its first use reads the table's columns: set-up, not appending.
          await sink.storedOffsets?.('bench', []);
          return sink;
        },
        async (_, sink) => {
          for (const batch of batches) await sink.write(batch, { signal });
          await sink.close();
        },
      ),
  };
}

const sinkDuckDbAppend: Scenario = {
  name: 'sink-duckdb-append',
  group: 'sinks',
  description: 'DuckDB append: sink.write in batches of 500 vs the raw appender appending the same rows',
  unit: 'rows/s',
  better: 'higher',
  needsKafka: false,
  pairs: 8,
  async prepare({ quick }) {
    const rows = quick ? 5_000 : 50_000;
    const batches = batchesOf(rows);
    const baseline: Arm = {
      label: 'DuckDB appender by hand (a value at a time)',
      run: () =>
        timed(
          rows,
          async () => undefined,
          async (connection) => {
            for (const batch of batches) {
              const appender = await connection.createAppender('orders');
              for (const change of batch.changes) appendByHand(appender, change);
              appender.flushSync();
              appender.closeSync();
            }
          },
        ),
    };
    return { ours: sinkArm(batches, rows), baseline };
  },
};

const sinkDuckDbAppendChunks: Scenario = {
  name: 'sink-duckdb-append-chunks',
  group: 'sinks',
  description: 'DuckDB append: sink.write in batches of 500 vs data chunks of the same rows built by hand',
  unit: 'rows/s',
  better: 'higher',
  needsKafka: false,
  pairs: 8,
  async prepare({ quick }) {
    const rows = quick ? 5_000 : 50_000;
    const batches = batchesOf(rows);
    const baseline: Arm = {
      label: 'DuckDB appender by hand (data chunks)',
      run: () =>
        timed(
          rows,
          async () => undefined,
          async (connection) => {
            for (const batch of batches) {
              const appender = await connection.createAppender('orders');
              appender.appendDataChunk(chunkByHand(batch.changes));
              appender.flushSync();
              appender.closeSync();
            }
          },
        ),
    };
    return { ours: sinkArm(batches, rows), baseline };
  },
};

const keyedTable = createTable.replace('key VARCHAR,', 'key VARCHAR PRIMARY KEY,');
const dataColumns = [
  'event_id',
  'event_time',
  'deleted',
  'order_id',
  'customer_id',
  'total',
  'currency',
  'placed_at',
  'lines',
];

// Keyed: every order twice, the second pass a newer version, so half the rows insert and half
// update. By hand: the batch appended to a temporary table, then one INSERT … ON CONFLICT DO
// UPDATE under the same version guard, in a transaction; the sink does that, and collapses each
// batch to the newest change per key and stores its offset in the transaction.
const sinkDuckDbUpsert: Scenario = {
  name: 'sink-duckdb-upsert',
  group: 'sinks',
  description: 'DuckDB upsert: sink.write in batches of 500 vs a staged INSERT … ON CONFLICT by hand',
  unit: 'changes/s',
  better: 'higher',
  needsKafka: false,
  pairs: 6,
  async prepare({ quick }) {
    const orderCount = quick ? 2_500 : 20_000;
    const batches = batchesOf(orderCount, 2);
    const work = orderCount * 2;
    const signal = new AbortController().signal;
    const options = { table: keyedTable, work };
    const ours: Arm = {
      label: 'inlet DuckDB sink (upsert)',
      run: () =>
        timed(
          orderCount,
          async (connection) => {
            const sink = createDuckDbSink({ connection, table: 'orders', topics: [orders] });
            await sink.storedOffsets?.('bench', []);
            return sink;
          },
          async (_, sink) => {
            for (const batch of batches) await sink.write(batch, { signal });
            await sink.close();
          },
          options,
        ),
    };
    const merge = `INSERT INTO orders AS target SELECT * FROM stage
      ON CONFLICT (key) DO UPDATE SET entity_version = excluded.entity_version,
        ${dataColumns.map((column) => `${column} = excluded.${column}`).join(', ')}
      WHERE target.entity_version IS NULL OR target.entity_version < excluded.entity_version`;
    const baseline: Arm = {
      label: 'DuckDB staged upsert by hand',
      run: () =>
        timed(
          orderCount,
          async (connection) => {
            await connection.run('CREATE TEMP TABLE stage AS SELECT * FROM orders LIMIT 0');
          },
          async (connection) => {
            for (const batch of batches) {
              await connection.run('BEGIN TRANSACTION');
              await connection.run('DELETE FROM stage');
              const appender = await connection.createAppender('stage', 'main', 'temp');
              for (const change of batch.changes) appendByHand(appender, change);
              appender.flushSync();
              appender.closeSync();
              await connection.run(merge);
              await connection.run('COMMIT');
            }
          },
          options,
        ),
    };
    return { ours, baseline };
  },
};

export const sinkDuckDbScenarios: readonly Scenario[] = [
  sinkDuckDbAppend,
  sinkDuckDbAppendChunks,
  sinkDuckDbUpsert,
];
