import { testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonExact } from './exact-json';
import { tableName } from './orders.test-support';
import { bucketSql, canonicalRowSql, rowDigestSql } from './postgres-canonical-sql';
import { canonicalRow, keyBucket, rowDigest } from './row-digest';

const environment = testEnvironment();
let pool: pg.Pool;
const table = tableName('rec_types');
const newTable = tableName('rec_types_json');

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

// json, jsonb, arrays and float edges. The JavaScript side reads JSON as the Redis sink does
// (parseJsonExact), from text with other key orders and whitespace.
const newColumns = [
  { name: 'ba', type: '_int8', sqlType: 'bigint[]' },
  { name: 'boa', type: '_bool', sqlType: 'boolean[]' },
  { name: 'ca', type: '_bpchar', sqlType: 'char(3)[]' },
  { name: 'da', type: '_date', sqlType: 'date[]' },
  { name: 'f4', type: 'float4', sqlType: 'real' },
  { name: 'f4a', type: '_float4', sqlType: 'real[]' },
  { name: 'f8', type: 'float8', sqlType: 'double precision' },
  { name: 'fa', type: '_float8', sqlType: 'double precision[]' },
  { name: 'ia', type: '_int4', sqlType: 'int[]' },
  { name: 'j', type: 'jsonb', sqlType: 'jsonb' },
  { name: 'ja', type: '_jsonb', sqlType: 'jsonb[]' },
  { name: 'js', type: 'json', sqlType: 'json' },
  { name: 'na', type: '_numeric', sqlType: 'numeric[]' },
  { name: 'ta', type: '_text', sqlType: 'text[]' },
  { name: 'tsa', type: '_timestamptz', sqlType: 'timestamptz[]' },
  { name: 'tza', type: '_timestamp', sqlType: 'timestamp[]' },
];
const newNames = newColumns.map((column) => column.name);
const json = (text: string) => parseJsonExact(text);
const newCases: { readonly sql: Record<string, string>; readonly js: Record<string, unknown> }[] = [
  {
    sql: {
      j: `'{"b": [1.0, 1e2, -0.0, 0.00100, 10, 1.50e1], "a": {"x": null, "\\u00e9": "\\u00e9\\n\\u001f\\"\\\\/", "zz": 1}, "q": "a|b=c\\\\d"}'`,
      js: `'{"a":1, "a":2,  "b" : [ ], "c": {"z": {}, "": [[], {}]}}'`,
      ta: `array['a', null, 'b,c', 'x|=\\y', '', 'é 🎉', '"']`,
      ia: `array[1, null, -3]`,
      ba: `array[9007199254740993, -1]::bigint[]`,
      na: `array[2.50, 1e20, 0.000, -0.001, null, 'NaN']::numeric[]`,
      boa: `array[true, null, false]`,
      tsa: `array['2026-01-01 00:00:01.5+00'::timestamptz, null, '1999-12-31 23:59:59.999-05']`,
      tza: `array['2026-01-01 00:00:01.5'::timestamp]`,
      fa: `array[0.1, 1e20, 1e21, 1e-7, '-0', 'NaN', 'Infinity', '-Infinity', 5e-324, 1.7976931348623157e308, null]::float8[]`,
      f4a: `array[0.1, 3.4028235e38, 1e-45]::real[]`,
      f8: `1e-5`,
      f4: `0.1`,
      ca: `array['a'::char(3), 'abc']`,
      da: `array['2026-03-01'::date]`,
      ja: `array['{"b": 1, "a": 2.0}'::jsonb, null, '"s"']`,
    },
    js: {
      j: json(
        `{"q":"a|b=c\\\\d","a":{"zz":1,"é":"é\\n\\u001f\\"\\\\/","x":null},"b":[1,100,0,0.001,1e1,15]}`,
      ),
      js: json(`{"c":{"":[[],{}],"z":{}},"b":[],"a":2}`),
      ta: ['a', null, 'b,c', 'x|=\\y', '', 'é 🎉', '"'],
      ia: [1, null, -3],
      ba: [9007199254740993n, -1n],
      na: [2.5, 1e20, 0, -0.001, null, 'NaN'],
      boa: [true, null, false],
      tsa: [new Date('2026-01-01T00:00:01.500Z'), null, '2000-01-01T04:59:59.999Z'],
      tza: ['2026-01-01T00:00:01.500Z'],
      fa: [0.1, 1e20, 1e21, 1e-7, -0, Number.NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, null],
      f4a: [0.1, 3.4028235e38, 1e-45],
      f8: 1e-5,
      f4: 0.1,
      ca: ['a', 'abc'],
      da: ['2026-03-01'],
      ja: [{ a: 2, b: 1 }, null, 's'],
    },
  },
  {
    sql: {
      j: `'[9007199254740993, 12345678901234567890123, 0.1234567890123456789, 1e400, -1e-20, 1e-400]'`,
      js: `'"just \\u0041 string"'`,
      ia: `'{{1,2},{3,NULL}}'`,
      ta: `'{}'`,
      tsa: `'{}'`,
      f8: `1e20`,
      f4: `3.4028235e38`,
    },
    js: {
      j: json(`[9007199254740993,12345678901234567890123,0.1234567890123456789,1e400,-1e-20,1e-400]`),
      js: 'just A string',
      ia: [
        [1, 2],
        [3, null],
      ],
      ta: [],
      tsa: [],
      f8: 1e20,
      f4: 3.4028235e38,
    },
  },
  { sql: { j: `'42.0'`, js: `'true'`, f8: `1e21` }, js: { j: 42, js: true, f8: 1e21 } },
  { sql: { j: `'null'`, js: `'false'`, f8: `'-0'` }, js: { j: null, js: false, f8: 0 } },
  { sql: { j: `'"1"'`, js: `'{}'`, f8: `'NaN'` }, js: { j: '1', js: {}, f8: Number.NaN } },
  { sql: { j: `'[]'`, f8: `'-Infinity'`, f4: `1e-45` }, js: { j: [], f8: -Infinity, f4: 1e-45 } },
  { sql: { f8: `0.1::float8 + 0.2` }, js: { f8: 0.1 + 0.2 } },
  { sql: { f8: `5e-324` }, js: { f8: 5e-324 } },
  { sql: { f8: `1.7976931348623157e308` }, js: { f8: Number.MAX_VALUE } },
  { sql: { f8: `123456789012345680000` }, js: { f8: 123456789012345680000 } },
  { sql: { f8: `-1.5e-7` }, js: { f8: -1.5e-7 } },
];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  await pool.query(
    `create table ${table} (key text primary key, b boolean, by bytea, d date, f float8, i bigint, n numeric, t text, ts timestamptz)`,
  );
  for (const [index, { sql }] of cases.entries())
    await pool.query(`insert into ${table} values ('k${index}|=', ${sql})`);
  await pool.query(
    `create table ${newTable} (key text primary key, ${newColumns.map(({ name, sqlType }) => `${name} ${sqlType}`).join(', ')})`,
  );
  for (const [index, { sql }] of newCases.entries()) {
    const names = Object.keys(sql);
    await pool.query(
      `insert into ${newTable} (key${names.map((name) => `, ${name}`).join('')}) values ('j${index}'${names.map((name) => `, ${sql[name]}`).join('')})`,
    );
  }
});

afterAll(async () => {
  await pool.query(`drop table if exists ${table}, ${newTable}`);
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

  it('agrees on json, jsonb, arrays and float edges', async () => {
    const { rows } = await pool.query(
      `select key, ${canonicalRowSql('key', newColumns, newTable)} as text, (${rowDigestSql('key', newColumns, newTable)})::text as digest
         from ${newTable} order by key`,
    );
    expect(rows).toHaveLength(newCases.length);
    for (const row of rows) {
      const js = (newCases[Number(row.key.slice(1))] as { js: Record<string, unknown> }).js;
      expect(row.text).toBe(canonicalRow(row.key, newNames, js));
      expect(BigInt(row.digest)).toBe(rowDigest(row.key, newNames, js));
    }
  });

  it('tells a changed JSON value, array element or float apart', async () => {
    const { rows } = await pool.query(
      `select key, ${canonicalRowSql('key', newColumns, newTable)} as text from ${newTable} where key = 'j0'`,
    );
    const js = (newCases[0] as { js: Record<string, unknown> }).js;
    for (const [column, value] of Object.entries({
      j: json(
        `{"q":"a|b=c\\\\d","a":{"zz":1,"é":"é\\n\\u001f\\"\\\\/","x":null},"b":[1,100,0,0.0011,1e1,15]}`,
      ),
      js: json(`{"c":{"":[[],{}],"z":{}},"b":[],"a":1}`),
      ta: ['a', null, 'b,c', 'x|=\\y', null, 'é 🎉', '"'],
      fa: [0.1, 1e20, 1e21, 1e-7, -0, Number.NaN, Infinity, Infinity, 5e-324, 1.7976931348623157e308, null],
      f8: 1e-6,
    }))
      expect(rows[0].text).not.toBe(canonicalRow('j0', newNames, { ...js, [column]: value }));
  });
});
