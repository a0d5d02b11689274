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
      await connection.run(`CREATE TABLE structs (key VARCHAR PRIMARY KEY, tags STRUCT(a INTEGER)[])`);
      await expect(
        reconcile({
          source: duckDbTableSink({ connection, table: 'structs' }),
          sink: duckDbTableSink({ connection, table: 'structs' }),
        }),
      ).rejects.toMatchObject({ code: ReconcileErrorCode.uncomparableType, message: /column "tags"/ });
    } finally {
      connection.closeSync();
    }
  });

  it('compares JSON, list and FLOAT columns with PostgreSQL jsonb, arrays and real', async () => {
    const table = tableName('rec_duck_doc');
    await pool.query(
      `create table ${table} (key text primary key, doc jsonb, tags text[], nums bigint[], seen timestamptz[], ratio real, ratios real[], grid int[])`,
    );
    const connection = await instance.connect();
    try {
      await pool.query(
        `insert into ${table} values
           ('a', '{"b": [1.0, 9007199254740993], "a": {"y": null, "x": "é"}}', array['x', null], array[9007199254740993, 2],
            array['2026-01-01 00:00:01.5+00'::timestamptz], 0.1, array[0.1, 3.4028235e38]::real[], '{{1,2},{3,4}}'),
           ('b', '"text"', '{}', null, null, 1e-45, null, null),
           ('c', '{"n": 1}', array['c'], null, null, null, null, null)`,
      );
      await connection.run(
        `CREATE TABLE docs (key VARCHAR PRIMARY KEY, doc JSON, tags VARCHAR[], nums BIGINT[], seen TIMESTAMPTZ[], ratio FLOAT, ratios FLOAT[], grid INTEGER[][])`,
      );
      await connection.run(
        `INSERT INTO docs VALUES
           ('a', '{ "a": {"x": "\u00e9", "y": null}, "b": [1, 9007199254740993] }', ['x', NULL], [9007199254740993, 2],
            [TIMESTAMPTZ '2026-01-01 00:00:01.5+00'], 0.1, [0.1, 3.4028235e38], [[1, 2], [3, 4]]),
           ('b', '"text"', [], NULL, NULL, 1e-45, NULL, NULL),
           ('c', '{"n": 2}', ['c'], NULL, NULL, NULL, NULL, NULL)`,
      );
      const report = await reconcile({
        source: postgresTableSource({ pool, table, key: 'key' }),
        sink: duckDbTableSink({ connection, table: 'docs' }),
      });
      expect(report).toMatchObject({ changed: ['c'], missing: [], extra: [], rows: { source: 3, sink: 3 } });
    } finally {
      connection.closeSync();
      await pool.query(`drop table if exists ${table}`);
    }
  });
});
