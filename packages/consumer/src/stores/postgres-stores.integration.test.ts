import { InletError } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDedupStore } from './postgres-dedup-store';
import { createPostgresVersionStore } from './postgres-version-store';
import { describeDedupStoreContract, describeVersionStoreContract } from './store-contract.test-support';

const environment = testEnvironment();
// Every table this file creates starts with this, so the end of the run can drop them all.
const runPrefix = `inlet_test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let pool: pg.Pool;
let tableCounter = 0;

function tableName(purpose: string): string {
  tableCounter += 1;
  return `${runPrefix}_${purpose}${tableCounter}`;
}

// Tables, schemas and roles of this run that a failed test left behind.
async function leftoversOfThisRun(): Promise<string[]> {
  const { rows } = await pool.query<{ drop: string }>(
    `select format('drop table if exists %I.%I', schemaname, tablename) as drop from pg_tables
     where tablename like $1 and schemaname not like $1
     union all select format('drop schema if exists %I cascade', nspname) from pg_namespace where nspname like $1
     union all select format('drop role if exists %I', rolname) from pg_roles where rolname like $1`,
    [`${runPrefix}%`],
  );
  return rows.map(({ drop }) => drop);
}

beforeAll(() => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 8 });
});

afterAll(async () => {
  for (const drop of await leftoversOfThisRun()) await pool.query(drop);
  const left = await leftoversOfThisRun();
  await pool.end();
  expect(left).toEqual([]);
});

describeDedupStoreContract(
  'PostgreSQL',
  (backing) => createPostgresDedupStore({ pool, table: `${runPrefix}_d_${backing}` }),
  { cleanup: (backing) => pool.query(`drop table if exists "${runPrefix}_d_${backing}"`).then(() => {}) },
);
describeVersionStoreContract(
  'PostgreSQL',
  (backing) => createPostgresVersionStore({ pool, table: `${runPrefix}_v_${backing}` }),
  { cleanup: (backing) => pool.query(`drop table if exists "${runPrefix}_v_${backing}"`).then(() => {}) },
);

async function columnsOf(table: string): Promise<string[]> {
  const { rows } = await pool.query<{ column_name: string; data_type: string; is_nullable: string }>(
    `select column_name, data_type, is_nullable from information_schema.columns
     where table_name = $1 order by ordinal_position`,
    [table],
  );
  return rows.map(
    (row) => `${row.column_name} ${row.data_type}${row.is_nullable === 'NO' ? ' not null' : ''}`,
  );
}

async function primaryKeyOf(table: string): Promise<string[]> {
  const { rows } = await pool.query<{ column_name: string }>(
    `select a.attname as column_name from pg_index i
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = $1::regclass and i.indisprimary`,
    [`"${table}"`],
  );
  return rows.map((row) => row.column_name);
}

describe('PostgreSQL stores', () => {
  it('create their tables on first use: a key primary key with an expiry, or with a bigint version', async () => {
    const dedupTable = tableName('layout_d');
    const versionTable = tableName('layout_v');
    await using dedup = createPostgresDedupStore({ pool, table: dedupTable });
    await using versions = createPostgresVersionStore({ pool, table: versionTable });
    await dedup.seen(['event']);
    await versions.latest(['entity']);
    expect(await columnsOf(dedupTable)).toEqual([
      'key text not null',
      'expires_at timestamp with time zone not null',
    ]);
    expect(await primaryKeyOf(dedupTable)).toEqual(['key']);
    expect(await columnsOf(versionTable)).toEqual(['key text not null', 'version bigint not null']);
    expect(await primaryKeyOf(versionTable)).toEqual(['key']);
  });

  it('create a table once when many stores start at the same time', async () => {
    const table = tableName('race');
    const stores = Array.from({ length: 6 }, () => createPostgresDedupStore({ pool, table }));
    await Promise.all(stores.map((store, index) => store.mark([`event-${index}`], 60_000)));
    expect(await stores[0]?.seen(stores.map((_, index) => `event-${index}`))).toEqual(stores.map(() => true));
    await Promise.all(stores.map((store) => store.close()));
  });

  it('use a given schema, quoting names that are reserved words', async () => {
    const schema = tableName('schema');
    await pool.query(`create schema "${schema}"`);
    try {
      await using dedup = createPostgresDedupStore({ pool, schema, table: 'user' });
      await dedup.mark(['event'], 60_000);
      const { rows } = await pool.query(`select key from "${schema}"."user"`);
      expect(rows).toEqual([{ key: 'event' }]);
    } finally {
      await pool.query(`drop schema "${schema}" cascade`);
    }
  });

  it('store keys readably, escaping only NUL and backslash', async () => {
    const table = tableName('keys');
    await using dedup = createPostgresDedupStore({ pool, table });
    await dedup.mark(['group\u0000event', 'plain-key', 'back\\slash'], 60_000);
    const { rows } = await pool.query<{ key: string }>(`select key from "${table}" order by key`);
    expect(rows.map(({ key }) => key)).toEqual(['back\\\\slash', 'group\\0event', 'plain-key']);
  });

  it('delete expired marks on a later mark, in the background, and not live ones', async () => {
    const table = tableName('purge');
    const dedup = createPostgresDedupStore({ pool, table, purgeIntervalMs: 0 });
    await dedup.mark(['expiring-1', 'expiring-2'], 100);
    await dedup.mark(['live'], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await dedup.mark(['trigger'], 60_000);
    await dedup.close(); // waits for the purge the mark started
    const { rows } = await pool.query<{ key: string }>(`select key from "${table}" order by key`);
    expect(rows.map(({ key }) => key)).toEqual(['live', 'trigger']);
  });

  it('do not purge when told not to', async () => {
    const table = tableName('nopurge');
    const dedup = createPostgresDedupStore({ pool, table, purgeIntervalMs: false });
    await dedup.mark(['expiring'], 50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await dedup.mark(['trigger'], 60_000);
    await dedup.close();
    const { rows } = await pool.query(`select key from "${table}"`);
    expect(rows).toHaveLength(2);
  });

  it('create the table again when it is dropped under a running store', async () => {
    const table = tableName('dropped');
    await using dedup = createPostgresDedupStore({ pool, table });
    await dedup.mark(['before'], 60_000);
    await pool.query(`drop table "${table}"`);
    const error = await dedup.seen(['before']).catch((thrown: unknown) => thrown);
    expect(InletError.hasCode(error, StoreErrorCode.storeFailed)).toBe(true);
    expect((error as InletError).retryable).toBe(false);
    expect(await dedup.seen(['before'])).toEqual([false]);
  });

  it('leave the pool open when closed', async () => {
    const store = createPostgresDedupStore({ pool, table: tableName('owner') });
    await store.seen(['event']);
    await store.close();
    expect(pool.ended).toBe(false);
    expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('classify a refused connection as INLET_STORE_UNAVAILABLE, retryable', async () => {
    const unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const dedup = createPostgresDedupStore({ pool: unreachable, table: tableName('down') });
      const error = await dedup.seen(['event']).catch((thrown: unknown) => thrown);
      expect(InletError.hasCode(error, StoreErrorCode.storeUnavailable)).toBe(true);
      expect((error as InletError).retryable).toBe(true);
      await dedup.close();
    } finally {
      await unreachable.end();
    }
  });

  it('classify a permission failure as INLET_STORE_FAILED, not retryable', async () => {
    const role = tableName('role');
    const schema = tableName('locked');
    await pool.query(`create role "${role}"`);
    await pool.query(`create schema "${schema}"`);
    // Connects as the test user, then acts as the role: works whatever the server's auth method.
    const restricted = new pg.Pool({
      connectionString: environment.databaseUrl,
      options: `-c role=${role}`,
      max: 1,
    });
    try {
      // The role has no right to create tables in (or even use) the schema.
      const dedup = createPostgresDedupStore({ pool: restricted, schema, table: 'marks' });
      const error = await dedup.mark(['event'], 60_000).catch((thrown: unknown) => thrown);
      expect(InletError.hasCode(error, StoreErrorCode.storeFailed)).toBe(true);
      expect((error as InletError).retryable).toBe(false);
      expect((error as { driverCode?: string }).driverCode).toBe('42501');
      await dedup.close();
    } finally {
      await restricted.end();
      await pool.query(`drop schema "${schema}" cascade`);
      await pool.query(`drop role "${role}"`);
    }
  });
});
