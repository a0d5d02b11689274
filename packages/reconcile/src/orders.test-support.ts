import { uniqueName } from '@inlet/test-support';
import type pg from 'pg';

/** How many rows the acceptance tests reconcile. */
export const orderCount = 100_000;

/** A table name no other test uses. */
export const tableName = (prefix: string): string => uniqueName(prefix).replaceAll('-', '_');

/** The columns of the orders table, and how row i fills them (PostgreSQL and DuckDB spell it alike). */
export const orderColumnsSql = `id text primary key, name text, qty bigint, price double precision, active boolean, placed_at timestamptz, note text`;

export const orderValuesSql = (i: string) => `'order-' || ${i}, 'name ' || ${i}, ${i} % 1000,
  ${i}::double precision / 3, ${i} % 2 = 0,
  timestamptz '2026-01-01 00:00:00+00' + ${i} * interval '1 second' + (${i} % 1000) * interval '1 millisecond',
  case when ${i} % 10 = 0 then null when ${i} % 10 = 1 then '' else 'n|=\\ ' || ${i} end`;

/** The three tamperings every acceptance test makes to its sink, and what they must find. */
export const tampered = { deleted: 'order-500', changed: 'order-600', extra: 'order-extra' } as const;

/** Creates and fills the source table of `orderCount` rows. */
export async function createOrdersTable(pool: pg.Pool, table: string): Promise<void> {
  await pool.query(`create table ${table} (${orderColumnsSql})`);
  await pool.query(
    `insert into ${table} select ${orderValuesSql('i')} from generate_series(1, ${orderCount}) i`,
  );
}

/** An order row as JSON holds it: numbers as numbers, the time as ISO text. */
export interface OrderRow {
  readonly id: string;
  readonly name: string;
  readonly qty: number;
  readonly price: number;
  readonly active: boolean;
  readonly placed_at: string;
  readonly note: string | null;
}

export async function readOrders(pool: pg.Pool, table: string): Promise<OrderRow[]> {
  const { rows } = await pool.query(
    `select id, name, qty, price, active, placed_at, note from ${table} order by id`,
  );
  return rows.map((row) => ({
    id: row.id as string,
    name: row.name as string,
    qty: Number(row.qty),
    price: row.price as number,
    active: row.active as boolean,
    placed_at: (row.placed_at as Date).toISOString(),
    note: row.note as string | null,
  }));
}
