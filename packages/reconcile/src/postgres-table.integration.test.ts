import { InletError, InletErrorCode } from '@inlet/core';
import { testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersTable, orderCount, tableName, tampered } from './orders.test-support';
import { postgresTableSink, postgresTableSource } from './postgres-table';
import { reconcile } from './reconcile';
import { ReconcileErrorCode } from './reconcile-error-code';
import type { ReconcileProgress, ReconcileReport } from './reconcile-report';
import { scheduleReconcile } from './schedule-reconcile';

const environment = testEnvironment();
let pool: pg.Pool;
const source = tableName('rec_src');
const sink = tableName('rec_dst');
const dropped: string[] = [source, sink];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  await createOrdersTable(pool, source);
  await pool.query(`create table ${sink} (like ${source} including all)`);
  await pool.query(`insert into ${sink} select * from ${source}`);
  await pool.query(`delete from ${sink} where id = $1`, [tampered.deleted]);
  await pool.query(`update ${sink} set qty = qty + 1 where id = $1`, [tampered.changed]);
  await pool.query(`insert into ${sink} (id, name, qty) values ($1, 'stray', 1)`, [tampered.extra]);
}, 120_000);

afterAll(async () => {
  await pool.query(`drop table if exists ${dropped.join(', ')}`);
  await pool.end();
});

describe('PostgreSQL → PostgreSQL', () => {
  it(`finds the deleted, the changed and the extra row of ${orderCount} and nothing else`, async () => {
    const progress: ReconcileProgress[] = [];
    const report = await reconcile({
      source: postgresTableSource({ pool, table: source, key: 'id' }),
      sink: postgresTableSink({ pool, table: sink, key: 'id' }),
      onProgress: (each) => progress.push(each),
    });
    expect(report).toMatchObject({
      source: `postgres:${source}`,
      sink: `postgres:${sink}`,
      missing: [tampered.deleted],
      changed: [tampered.changed],
      extra: [tampered.extra],
      totals: { missing: 1, changed: 1, extra: 1 },
      rows: { source: orderCount, sink: orderCount },
      columns: ['active', 'name', 'note', 'placed_at', 'price', 'qty'],
      matched: false,
      buckets: { total: 1024 },
    });
    expect(report.buckets.differing).toBeGreaterThanOrEqual(1);
    expect(report.buckets.differing).toBeLessThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ phase: 'narrowing', done: report.buckets.differing });
    console.log(`PostgreSQL → PostgreSQL, ${orderCount} rows: ${report.tookMs} ms`);
  });

  it('matches a table with itself, also by time buckets and with where', async () => {
    const side = () => postgresTableSource({ pool, table: source, key: 'id', where: `qty < 500` });
    const report = await reconcile({
      source: side(),
      sink: side(),
      buckets: { kind: 'time', column: 'placed_at', widthMs: 3_600_000 },
    });
    expect(report).toMatchObject({ matched: true, rows: { source: orderCount / 2 } });
    expect(report.buckets.total).toBe(28); // 100 000 s is 27.8 hours
  });

  it('finds a null turned into an empty string, and rows marked deleted count as absent', async () => {
    const table = tableName('rec_marked');
    dropped.push(table);
    await pool.query(
      `create table ${table} (key text primary key, note text, deleted boolean not null default false)`,
    );
    await pool.query(`insert into ${table} values ('a', null, false), ('b', 'x', false), ('c', 'y', true)`);
    const copy = tableName('rec_marked_copy');
    dropped.push(copy);
    await pool.query(`create table ${copy} (key text primary key, note text)`);
    await pool.query(`insert into ${copy} values ('a', ''), ('b', 'x')`);
    const report = await reconcile({
      source: postgresTableSource({ pool, table: copy, key: 'key' }),
      sink: postgresTableSink({ pool, table }),
    });
    expect(report).toMatchObject({ changed: ['a'], missing: [], extra: [], rows: { source: 2, sink: 2 } });
  });

  it('names a missing table, a missing column and a type it cannot compare', async () => {
    const codeOf = (work: Promise<unknown>) =>
      work.then(
        () => undefined,
        (error: unknown) => (InletError.is(error) ? { code: error.code, message: error.message } : error),
      );
    expect(
      await codeOf(
        reconcile({
          source: postgresTableSource({ pool, table: source, key: 'id' }),
          sink: postgresTableSink({ pool, table: 'no_such_table_here', key: 'id' }),
        }),
      ),
    ).toMatchObject({ code: ReconcileErrorCode.missingTable, message: /no_such_table_here does not exist/ });
    expect(
      await codeOf(
        reconcile({
          source: postgresTableSource({ pool, table: source, key: 'id', columns: ['qty', 'colour'] }),
          sink: postgresTableSink({ pool, table: sink, key: 'id' }),
        }),
      ),
    ).toMatchObject({ code: ReconcileErrorCode.missingColumn, message: /"colour"/ });
    expect(
      await codeOf(
        reconcile({
          source: postgresTableSource({ pool, table: source, key: 'uid' }),
          sink: postgresTableSink({ pool, table: sink, key: 'id' }),
        }),
      ),
    ).toMatchObject({
      code: ReconcileErrorCode.missingColumn,
      message: /key column "uid"/,
    });
    const json = tableName('rec_json');
    dropped.push(json);
    await pool.query(`create table ${json} (key text primary key, doc point, tsa timestamptz[], f float8)`);
    await pool.query(`insert into ${json} values ('a', null, '{{2026-01-01, 2026-01-02}}', 0.1)`);
    expect(
      await codeOf(
        reconcile({
          source: postgresTableSource({ pool, table: json, key: 'key' }),
          sink: postgresTableSink({ pool, table: json }),
        }),
      ),
    ).toMatchObject({ code: ReconcileErrorCode.uncomparableType, message: /column "doc" .* point/ });
    expect(
      await codeOf(
        reconcile({
          source: postgresTableSource({ pool, table: json, key: 'key', columns: ['tsa'] }),
          sink: postgresTableSink({ pool, table: json }),
        }),
      ),
    ).toMatchObject({
      code: ReconcileErrorCode.uncomparableType,
      message: /multidimensional array in column "tsa" \(_timestamptz\), 2 dimensions/,
    });
    const client = new pg.Client({ connectionString: environment.databaseUrl });
    await client.connect();
    try {
      await client.query('set extra_float_digits = 0');
      expect(
        await codeOf(
          reconcile({
            source: postgresTableSource({ client, table: json, key: 'key', columns: ['f'] }),
            sink: postgresTableSink({ pool, table: json }),
          }),
        ),
      ).toMatchObject({
        code: ReconcileErrorCode.uncomparableType,
        message: /column "f" .* extra_float_digits/,
      });
    } finally {
      await client.end();
    }
  });

  it('compares jsonb and array columns by value: key order and number spelling are no difference', async () => {
    const from = tableName('rec_doc_src');
    const to = tableName('rec_doc_dst');
    dropped.push(from, to);
    await pool.query(
      `create table ${from} (id int primary key, doc jsonb, raw json, tags text[], nums numeric[], seen timestamptz[], ratio float8)`,
    );
    await pool.query(
      `insert into ${from} select i,
         jsonb_build_object('id', i, 'name', 'n' || i, 'nested', jsonb_build_object('b', i % 3, 'a', array[i, i + 1]), 'price', (i / 4.0)),
         ('{"z": ' || i || ', "a": [1.0, {"y": null, "x": "v"}]}')::json,
         array['t' || i, null, 'x|y'], array[i / 8.0, 1e20, null], array[timestamptz '2026-01-01 00:00:00+00' + i * interval '1 ms'],
         i / 3.0
       from generate_series(1, 2000) i`,
    );
    await pool.query(`create table ${to} (like ${from} including all)`);
    await pool.query(`insert into ${to} select * from ${from}`);
    // The same values written otherwise: other key orders, whitespace, 1.50 for 1.5, 1e2 for 100.
    await pool.query(
      `update ${to} set raw = ('{ "a" : [1, {"x":"v", "y":null}],"z":' || id || '.000}')::json,
         doc = ('{"price": ' || (id / 4.0)::text || '0, "nested": {"a": [' || id || ', ' || (id + 1) || '], "b": ' || (id % 3) || '}, "name": "n' || id || '", "id": ' || id || '}')::jsonb
       where id % 2 = 0`,
    );
    await pool.query(`update ${to} set doc = jsonb_set(doc, '{nested,b}', '7') where id = 1200`);
    await pool.query(`update ${to} set tags[2] = '' where id = 1300`);
    await pool.query(
      `update ${to} set raw = '{"z": 1400, "a": [1.0, {"y": null, "x": "v", "w": 1}]}' where id = 1400`,
    );
    const report = await reconcile({
      source: postgresTableSource({ pool, table: from, key: 'id' }),
      sink: postgresTableSink({ pool, table: to, key: 'id' }),
    });
    expect(report).toMatchObject({
      changed: ['1200', '1300', '1400'],
      missing: [],
      extra: [],
      columns: ['doc', 'nums', 'ratio', 'raw', 'seen', 'tags'],
      matched: false,
    });
  });

  it('stops with INLET_ABORTED when the signal fires during a run', async () => {
    const controller = new AbortController();
    await expect(
      reconcile({
        source: postgresTableSource({ pool, table: source, key: 'id' }),
        sink: postgresTableSink({ pool, table: sink, key: 'id' }),
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toMatchObject({ code: InletErrorCode.aborted });
  });

  it('on a schedule, reports the drift of every run until closed', async () => {
    const drift: ReconcileReport[] = [];
    const schedule = scheduleReconcile({
      source: postgresTableSource({ pool, table: source, key: 'id' }),
      sink: postgresTableSink({ pool, table: sink, key: 'id' }),
      everyMs: 20,
      onDrift: (report) => drift.push(report),
    });
    try {
      const deadline = Date.now() + 60_000;
      while (drift.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await schedule.close();
    }
    expect(drift.length).toBeGreaterThanOrEqual(2);
    for (const report of drift) expect(report.totals).toEqual({ missing: 1, extra: 1, changed: 1 });
  }, 90_000);

  it('refuses options naming the option', () => {
    expect(() => postgresTableSource({ pool, table: 'a b', key: 'id' })).toThrow(
      /table: must be a table name/,
    );
    expect(() => postgresTableSource({ table: 't' } as never)).toThrow(
      /key: is required: give a column name/,
    );
  });
});
