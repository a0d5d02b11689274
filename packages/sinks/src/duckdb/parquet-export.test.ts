import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { InletError } from '@inlet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportParquet } from './parquet-export';

describe('exportParquet', () => {
  let directory: string;
  let instance: DuckDBInstance;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'inlet-parquet-'));
    instance = await DuckDBInstance.create(':memory:');
  });
  afterEach(async () => {
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  });

  async function ordersTable() {
    const connection = await instance.connect();
    await connection.run(
      `CREATE TABLE orders (key VARCHAR PRIMARY KEY, total DOUBLE, event_time TIMESTAMPTZ, placed TIMESTAMPTZ)`,
    );
    // One order an hour from midnight, on both time columns (placed an hour before event_time).
    await connection.run(
      `INSERT INTO orders SELECT 'o-' || i, i * 1.5, TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 1 HOUR,
         TIMESTAMPTZ '2026-01-01 00:00:00+00' + (i - 1) * INTERVAL 1 HOUR FROM range(48) t(i)`,
    );
    return connection;
  }

  const rowsOf = async (connection: Awaited<ReturnType<typeof ordersTable>>, sql: string) =>
    (await connection.runAndReadAll(sql)).getRowObjectsJson();

  it('writes a whole table, read back equal', async () => {
    const connection = await ordersTable();
    const path = join(directory, 'orders.parquet');
    expect(await exportParquet({ connection, table: 'orders', path })).toBe(48);
    const back = await rowsOf(connection, `SELECT * FROM read_parquet('${path}') ORDER BY key`);
    expect(back).toEqual(await rowsOf(connection, 'SELECT * FROM orders ORDER BY key'));
    const difference = await rowsOf(
      connection,
      `SELECT count(*) AS n FROM ((SELECT * FROM orders EXCEPT ALL SELECT * FROM read_parquet('${path}'))
         UNION ALL (SELECT * FROM read_parquet('${path}') EXCEPT ALL SELECT * FROM orders))`,
    );
    expect(difference).toEqual([{ n: '0' }]);
    connection.closeSync();
  });

  it('writes the rows of a time range only, from inclusive and to exclusive', async () => {
    const connection = await ordersTable();
    const path = join(directory, 'day-one-afternoon.parquet');
    const from = new Date('2026-01-01T12:00:00Z');
    const to = new Date('2026-01-01T18:00:00Z');
    expect(await exportParquet({ connection, table: 'orders', path, from, to })).toBe(6);
    const back = await rowsOf(connection, `SELECT key FROM read_parquet('${path}') ORDER BY total`);
    expect(back.map((row) => row.key)).toEqual(['o-12', 'o-13', 'o-14', 'o-15', 'o-16', 'o-17']);
    const byPlaced = join(directory, 'placed.parquet');
    expect(
      await exportParquet({ connection, table: 'orders', path: byPlaced, timeColumn: 'placed', from }),
    ).toBe(35);
    const first = await rowsOf(
      connection,
      `SELECT min(key::VARCHAR) AS k, min(total) AS t FROM read_parquet('${byPlaced}')`,
    );
    expect(first).toEqual([{ k: 'o-13', t: 19.5 }]);
    connection.closeSync();
  });

  it('refuses bad options, and says what DuckDB refused', async () => {
    const connection = await ordersTable();
    await expect(exportParquet({ connection, table: 'orders', path: '' })).rejects.toThrow(
      /path: must be a non-empty string/,
    );
    const missing = exportParquet({ connection, table: 'nowhere', path: join(directory, 'x.parquet') });
    await expect(missing).rejects.toSatisfy(
      (error) => InletError.hasCode(error, 'INLET_DUCKDB_FAILED') && /nowhere/.test((error as Error).message),
    );
    connection.closeSync();
  });
});
