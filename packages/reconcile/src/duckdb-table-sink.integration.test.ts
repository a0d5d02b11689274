import { DuckDBInstance } from '@duckdb/node-api';
import { testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckDbTableSink } from './duckdb-table-sink';
import {
  createOrdersTable,
  orderColumnsSql,
  orderCount,
  orderValuesSql,
  tableName,
  tampered,
} from './orders.test-support';
import { postgresTableSource } from './postgres-table';
import { reconcile } from './reconcile';
import { ReconcileErrorCode } from './reconcile-error-code';

const environment = testEnvironment();
let pool: pg.Pool;
let instance: DuckDBInstance;
const source = tableName('rec_duck_src');

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  await createOrdersTable(pool, source);
  instance = await DuckDBInstance.create(':memory:');
}, 120_000);

afterAll(async () => {
  await pool.query(`drop table if exists ${source}`);
  await pool.end();
  instance.closeSync();
});

describe('PostgreSQL → DuckDB', () => {
  it(`finds the deleted, the changed and the extra row of ${orderCount} and nothing else`, async () => {
    const connection = await instance.connect();
    try {
      // The same rows, computed by DuckDB (with the DuckDB sink's deleted column, all false).
      await connection.run(`CREATE TABLE orders (${orderColumnsSql}, deleted BOOLEAN DEFAULT false)`);
      await connection.run(
        `INSERT INTO orders SELECT ${orderValuesSql('i')}, false FROM range(1, ${orderCount + 1}) t(i)`,
      );
      await connection.run(`UPDATE orders SET deleted = true WHERE id = '${tampered.deleted}'`); // a marked delete
      await connection.run(`UPDATE orders SET price = price + 0.5 WHERE id = '${tampered.changed}'`);
      await connection.run(`INSERT INTO orders (id, name) VALUES ('${tampered.extra}', 'stray')`);
      const report = await reconcile({
        source: postgresTableSource({ pool, table: source, key: 'id' }),
        sink: duckDbTableSink({ connection, table: 'orders', key: 'id' }),
      });
      expect(report).toMatchObject({
        sink: 'duckdb:orders',
        missing: [tampered.deleted],
        changed: [tampered.changed],
        extra: [tampered.extra],
        totals: { missing: 1, changed: 1, extra: 1 },
        rows: { source: orderCount, sink: orderCount },
      });
      console.log(`PostgreSQL → DuckDB, ${orderCount} rows: ${report.tookMs} ms`);
    } finally {
      connection.closeSync();
    }
  });

  it('names a missing table and a type it cannot compare', async () => {
    const connection = await instance.connect();
    try {
      await expect(
        reconcile({
          source: postgresTableSource({ pool, table: source, key: 'id' }),
          sink: duckDbTableSink({ connection, table: 'missing_here', key: 'id' }),
        }),
      ).rejects.toMatchObject({ code: ReconcileErrorCode.missingTable });
      await connection.run(`CREATE TABLE lists (key VARCHAR PRIMARY KEY, tags VARCHAR[])`);
      await expect(
        reconcile({
          source: duckDbTableSink({ connection, table: 'lists' }),
          sink: duckDbTableSink({ connection, table: 'lists' }),
        }),
      ).rejects.toMatchObject({ code: ReconcileErrorCode.uncomparableType, message: /column "tags"/ });
    } finally {
      connection.closeSync();
    }
  });
});
