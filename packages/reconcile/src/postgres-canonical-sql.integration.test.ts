import { testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableName } from './orders.test-support';
import { bucketSql, canonicalRowSql, rowDigestSql } from './postgres-canonical-sql';
import { canonicalRow, keyBucket, rowDigest } from './row-digest';

const environment = testEnvironment();
let pool: pg.Pool;
const table = tableName('rec_types');

const columns = [
  { name: 'b', type: 'bool' },
  { name: 'by', type: 'bytea' },
  { name: 'd', type: 'date' },
  { name: 'f', type: 'float8' },
  { name: 'i', type: 'int8' },
  { name: 'n', type: 'numeric' },
  { name: 't', type: 'text' },
  { name: 'ts', type: 'timestamptz' },
];
const names = columns.map((column) => column.name);

// Each row as SQL, and as a JavaScript sink (Redis JSON, event data) would hold it.
const cases: { readonly sql: string; readonly js: Record<string, unknown> }[] = [
  {
    sql: `true, '\\xab01', '2026-03-01', 0.1, 42, 2.50, 'a|b=c\\d é 🎉', '2026-01-01 00:00:01.5+00'`,
    js: {
      b: true,
      by: Buffer.from([0xab, 0x01]),
      d: '2026-03-01',
      f: 0.1,
      i: 42,
      n: 2.5,
      t: 'a|b=c\\d é 🎉',
      ts: '2026-01-01T00:00:01.500Z',
    },
  },
  {
    sql: `false, null, null, 3.0, -7, 10, '', '1999-12-31 23:59:59.999+00'`,
    js: { b: false, f: 3, i: -7n, n: 10, t: '', ts: new Date('1999-12-31T23:59:59.999Z') },
  },
  {
    sql: `null, null, null, 33333.333333333336, 0, 0.001, null, null`,
    js: { f: 100_000 / 3, i: 0, n: 0.001 },
  },
  {
    sql: `null, null, null, -1e-3, 9007199254740993, -0.5, 'x', null`,
    js: { f: -0.001, i: 9007199254740993n, n: -0.5, t: 'x' },
  },
];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  await pool.query(
    `create table ${table} (key text primary key, b boolean, by bytea, d date, f float8, i bigint, n numeric, t text, ts timestamptz)`,
  );
  for (const [index, { sql }] of cases.entries())
    await pool.query(`insert into ${table} values ('k${index}|=', ${sql})`);
});

afterAll(async () => {
  await pool.query(`drop table if exists ${table}`);
  await pool.end();
});

describe('the SQL canonical form', () => {
  it('is the text and the digest JavaScript computes for the same values', async () => {
    const { rows } = await pool.query(
      `select key, ${canonicalRowSql('key', columns, table)} as text, (${rowDigestSql('key', columns, table)})::text as digest,
              ${bucketSql({ kind: 'key', count: 1000 }, 'key', undefined)} as bucket
         from ${table} order by key`,
    );
    expect(rows).toHaveLength(cases.length);
    for (const [index, row] of rows.entries()) {
      const js = (cases[index] as { js: Record<string, unknown> }).js;
      expect(row.text).toBe(canonicalRow(row.key, names, js));
      expect(BigInt(row.digest)).toBe(rowDigest(row.key, names, js));
      expect(Number(row.bucket)).toBe(keyBucket(row.key, 1000));
    }
  });
});
