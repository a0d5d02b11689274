import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `inlet reconcile` end to end through the real entry point, run from source (src/cli-main.ts
// with tsx and the @inlet/source condition), against the real PostgreSQL and Redis.

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function inlet(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@inlet/source', '--import', 'tsx', 'packages/cli/src/cli-main.ts', ...args],
      {
        cwd: repoRoot,
        timeout: 90_000,
        env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const rowCount = 1_000;
const tableName = () =>
  uniqueName('cli_reconcile')
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase();

let pool: pg.Pool;
let redis: Redis;
const tables: string[] = [];
const prefixes: string[] = [];

async function createOrders(): Promise<string> {
  const table = tableName();
  tables.push(table);
  await pool.query(
    `create table ${table} (id text primary key, name text not null, amount integer not null)`,
  );
  await pool.query(
    `insert into ${table} (id, name, amount)
     select 'order-' || n, 'name ' || n, n * 3 from generate_series(1, ${rowCount}) as n`,
  );
  return table;
}

/** A copy of the source with one row deleted (500), one changed (600) and one extra. */
async function tamperedCopy(source: string): Promise<string> {
  const table = tableName();
  tables.push(table);
  await pool.query(`create table ${table} as select * from ${source}`);
  await pool.query(`delete from ${table} where id = 'order-500'`);
  await pool.query(`update ${table} set amount = amount + 1 where id = 'order-600'`);
  await pool.query(`insert into ${table} (id, name, amount) values ('order-extra', 'extra', 1)`);
  return table;
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  redis = new Redis(redisUrl);
});
afterAll(async () => {
  for (const table of tables) await pool.query(`drop table if exists ${table}`);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await pool.end();
  redis.disconnect();
});

const expectedDifferences = { missing: ['order-500'], extra: ['order-extra'], changed: ['order-600'] };

describe('inlet reconcile (end to end)', { timeout: 180_000 }, () => {
  it('finds exactly the deleted, changed and extra row of a PostgreSQL sink: exit 1', async () => {
    const source = await createOrders();
    const sink = await tamperedCopy(source);
    const run = await inlet([
      'reconcile',
      '--source-table',
      source,
      '--key',
      'id',
      '--sink-table',
      sink,
      '--sink-key',
      'id',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ...expectedDifferences,
      totals: { missing: 1, extra: 1, changed: 1 },
      rows: { source: rowCount, sink: rowCount },
      columns: ['amount', 'name'],
      matched: false,
      truncated: false,
    });
    const human = await inlet([
      'reconcile',
      '--source-table',
      source,
      '--key',
      'id',
      '--sink-table',
      sink,
      '--sink-key',
      'id',
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('missing 1, extra 1, changed 1');
    expect(human.stdout).toContain('missing: order-500');
    expect(human.stdout).toContain('extra: order-extra');
    expect(human.stdout).toContain('changed: order-600');
  });

  it('exits 0 on identical tables, and --columns leaves the changed column out', async () => {
    const source = await createOrders();
    const same = tableName();
    tables.push(same);
    await pool.query(`create table ${same} as select * from ${source}`);
    const run = await inlet([
      'reconcile',
      '--source-table',
      source,
      '--key',
      'id',
      '--sink-table',
      same,
      '--sink-key',
      'id',
      '--json',
      '--progress',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      matched: true,
      missing: [],
      extra: [],
      changed: [],
      rows: { source: rowCount, sink: rowCount },
    });
    expect(run.stderr).toContain('reconcile: ');
    await pool.query(`update ${same} set amount = 0 where id = 'order-7'`);
    const onlyNames = await inlet([
      'reconcile',
      '--source-table',
      source,
      '--key',
      'id',
      '--sink-table',
      same,
      '--sink-key',
      'id',
      '--columns',
      'name',
      '--json',
    ]);
    expect(onlyNames.code, onlyNames.stderr).toBe(0);
    expect(JSON.parse(onlyNames.stdout)).toMatchObject({ matched: true, columns: ['name'] });
  });

  it('finds the same three keys in a Redis sink', async () => {
    const source = await createOrders();
    const prefix = `${tableName()}:`;
    prefixes.push(prefix);
    const pipeline = redis.pipeline();
    for (let n = 1; n <= rowCount; n += 1) {
      if (n === 500) continue;
      pipeline.set(
        `${prefix}order-${n}`,
        JSON.stringify({ name: `name ${n}`, amount: n === 600 ? n * 3 + 1 : n * 3 }),
      );
    }
    pipeline.set(`${prefix}order-extra`, JSON.stringify({ name: 'extra', amount: 1 }));
    await pipeline.exec();
    const run = await inlet([
      'reconcile',
      '--source-table',
      source,
      '--key',
      'id',
      '--sink-redis-prefix',
      prefix,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ...expectedDifferences, matched: false });
  });

  it('exits 3 naming a missing table, and 2 on a bad flag', async () => {
    const source = await createOrders();
    const missing = tableName();
    const run = await inlet(['reconcile', '--source-table', source, '--key', 'id', '--sink-table', missing]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('INLET_RECONCILE_MISSING_TABLE');
    expect(run.stderr).toContain(missing);
    const typo = await inlet(['reconcile', '--source-tabel', source, '--key', 'id', '--sink-table', source]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown flag --source-tabel (did you mean --source-table?)');
  });

  it('exits 3 when PostgreSQL is unreachable', async () => {
    const run = await inlet([
      'reconcile',
      '--source-table',
      'a',
      '--key',
      'id',
      '--sink-table',
      'b',
      '--database-url',
      'postgres://postgres@127.0.0.1:1/test',
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('inlet reconcile: cannot connect to PostgreSQL at 127.0.0.1:1/test');
  });
});
