import { createPipeline } from '@inlet/sinks';
import { createPostgresSink } from '@inlet/sinks/postgres';
import pg from 'pg';
import { orderStatusTopic } from './order-events.js';
import type { SentUpdate } from './order-service.js';

export interface OrderTablePostgresOptions {
  readonly brokers: readonly string[];
  readonly databaseUrl: string;
  /** The topic the order updates were sent to. */
  readonly topic: string;
  /** Every update sent to it, duplicates and late ones included. */
  readonly sent: readonly SentUpdate[];
  readonly log?: (line: string) => void;
}

export interface OrderTablePostgresReport {
  readonly table: string;
  /** Changes the sink acknowledged. */
  readonly written: number;
  /** Changes the sink refused (dead-lettered): must be 0. */
  readonly rejected: number;
  readonly deadLettered: number;
  /** Rows read back from the table. */
  readonly rows: number;
  /** Orders: one row each is expected. */
  readonly orders: number;
  /** Rows equal to their order's last update: revision, status, time and event id. */
  readonly rowsCorrect: number;
  /** What differs, one line each. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

// A type, not an interface: pg's row type wants an index signature.
type OrderRow = {
  key: string;
  entity_version: string | null;
  event_id: string | null;
  order_id: string | null;
  revision: string | null;
  status: string | null;
  changed_at: string | null;
  deleted: boolean;
};

/** Each order's newest update: what its row must hold once everything has landed. */
function lastUpdatePerOrder(sent: readonly SentUpdate[]): Map<string, SentUpdate> {
  const last = new Map<string, SentUpdate>();
  for (const update of sent) {
    const seen = last.get(update.orderId);
    if (seen === undefined || seen.revision < update.revision) last.set(update.orderId, update);
  }
  return last;
}

function differences(row: OrderRow, expected: SentUpdate): string[] {
  const wanted: Record<string, unknown> = {
    entity_version: String(expected.revision), // node-postgres returns bigint as a string
    event_id: expected.id,
    order_id: expected.orderId,
    revision: String(expected.revision),
    status: expected.status,
    changed_at: expected.changedAt,
    deleted: false,
  };
  return Object.entries(wanted)
    .filter(([column, value]) => row[column as keyof OrderRow] !== value)
    .map(
      ([column, value]) =>
        `${row.key}: ${column} is ${JSON.stringify(row[column as keyof OrderRow])}, not ${JSON.stringify(value)}`,
    );
}

/**
 * Lands the same order updates in a PostgreSQL table through a pipeline and a PostgreSQL sink
 * (the table created from the event's schema, one row per order, the newest revision winning),
 * reads the table back and compares it with the updates sent. The table is dropped at the end.
 */
export async function landOrdersInPostgres(
  options: OrderTablePostgresOptions,
): Promise<OrderTablePostgresReport> {
  const log = options.log ?? (() => undefined);
  const runId = `${Date.now().toString(36)}_${process.pid}`;
  const table = `order_service_orders_${runId}`;
  const topic = orderStatusTopic(options.topic);
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on('error', (error) => log(`an idle PostgreSQL connection failed: ${error.message}`));
  try {
    const pipeline = createPipeline({
      brokers: options.brokers,
      connection: { clientId: 'order-service' },
      groupId: `order-service.order-table-postgres.${runId}`,
      topics: [topic],
      autoOffsetReset: 'earliest',
      sink: createPostgresSink({ pool, table, topics: [topic], ensureTable: true }),
    });
    let stats = pipeline.stats();
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      stats = pipeline.stats();
    } finally {
      await pipeline.close();
    }
    log(`pipeline into ${table}: ${stats.written} changes written, ${stats.rejected} rejected`);

    const { rows } = await pool.query<OrderRow>(
      `select key, entity_version, event_id, order_id, revision, status, changed_at, deleted
         from ${table} order by key`,
    );
    const expected = lastUpdatePerOrder(options.sent);
    const problems: string[] = [];
    let rowsCorrect = 0;
    for (const row of rows) {
      const update = expected.get(row.key);
      const differing =
        update === undefined ? [`${row.key}: a row for no order sent`] : differences(row, update);
      if (differing.length === 0) rowsCorrect += 1;
      problems.push(...differing);
    }
    const keys = new Set(rows.map((row) => row.key));
    for (const orderId of expected.keys()) if (!keys.has(orderId)) problems.push(`${orderId}: no row`);
    if (rows.length !== expected.size) problems.push(`${rows.length} rows, not ${expected.size}`);
    return {
      table,
      written: stats.written,
      rejected: stats.rejected,
      deadLettered: stats.deadLettered,
      rows: rows.length,
      orders: expected.size,
      rowsCorrect,
      problems,
      ok: problems.length === 0 && stats.rejected === 0 && stats.deadLettered === 0 && expected.size > 0,
    };
  } finally {
    await pool
      .query(`drop table if exists ${table}`)
      .catch((error: Error) => log(`drop table ${table}: ${error.message}`));
    await pool.end();
  }
}
