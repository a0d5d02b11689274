import { type DuckDBAppender, DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import { createEvent, defineTopic, type TopicEvent } from '@inlet/core';
import type { SinkBatch, SinkChange } from '@inlet/sinks';
import { createDuckDbSink } from '@inlet/sinks/duckdb';
import type { Arm, ArmRun, Scenario } from '../harness';
import { OrderPlacedJson, sampleOrders } from './envelope';

// What the DuckDB sink costs over DuckDB's own appender: the same orders, in batches of 500,
// appended through `sink.write` (rows mapped from the events' schema, a transaction per batch with
// the offsets row that makes replays idempotent) against the appender filled by hand, one
// appender and flush per batch, so that both make each batch visible before the next.

const orders = defineTopic({ name: 'bench-orders', events: [OrderPlacedJson] });
type OrderEvent = TopicEvent<typeof orders>;
const batchSize = 500;

const createTable = `CREATE TABLE orders (
  key VARCHAR, entity_version BIGINT, event_id VARCHAR, event_time TIMESTAMPTZ, deleted BOOLEAN,
  order_id VARCHAR, customer_id VARCHAR, total DOUBLE, currency VARCHAR, placed_at VARCHAR, lines JSON)`;

function batchesOf(count: number): SinkBatch<OrderEvent>[] {
  const changes: SinkChange<OrderEvent>[] = sampleOrders(count).map((data, index) => {
    const event = createEvent(OrderPlacedJson, data, { source: 'urn:inlet:bench' }) as OrderEvent;
    return { kind: 'upsert', event, key: event.key, entityVersion: undefined, offset: String(index) };
  });
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

/** A fresh in-memory database with the table; `fill` timed alone. */
async function timed(
  rows: number,
  fill: (connection: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<void>,
): Promise<ArmRun> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(createTable);
  const started = performance.now();
  await fill(connection);
  const wallSeconds = (performance.now() - started) / 1000;
  const count = (await connection.runAndReadAll('SELECT count(*) AS n FROM orders')).getRowObjectsJS()[0] as {
    n: bigint;
  };
  connection.closeSync();
  instance.closeSync();
  if (Number(count.n) !== rows) throw new Error(`expected ${rows} rows, found ${count.n}`);
  return { work: rows, wallSeconds };
}

function appendByHand(appender: DuckDBAppender, change: SinkChange<OrderEvent>): void {
  if (change.kind !== 'upsert') return;
  const { event } = change;
  appender.appendVarchar(event.key as string);
  appender.appendNull();
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
    const signal = new AbortController().signal;
    const ours: Arm = {
      label: 'inlet DuckDB sink (append)',
      run: () =>
        timed(rows, async (connection) => {
          const sink = createDuckDbSink({ connection, table: 'orders', topics: [orders], mode: 'append' });
          for (const batch of batches) await sink.write(batch, { signal });
          await sink.close();
        }),
    };
    const baseline: Arm = {
      label: 'DuckDB appender by hand',
      run: () =>
        timed(rows, async (connection) => {
          for (const batch of batches) {
            const appender = await connection.createAppender('orders');
            for (const change of batch.changes) appendByHand(appender, change);
            appender.flushSync();
            appender.closeSync();
          }
        }),
    };
    return { ours, baseline };
  },
};

export const sinkDuckDbScenarios: readonly Scenario[] = [sinkDuckDbAppend];
