// classifyPostgresError on what a real PostgreSQL server and node-postgres answer, not only on
// errors made by hand: each failure is provoked for real and its classification checked.
import { InletError } from '@inlet/core';
import { type InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import { testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPostgresError } from './classify-postgres-error';

const environment = testEnvironment();
const table = `inlet_classify_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  await pool.query(`create table "${table}" (id int primary key, n int not null)`);
  await pool.query(`insert into "${table}" values (1, 0)`);
});

afterAll(async () => {
  await pool.query(`drop table if exists "${table}"`);
  await pool.end();
});

/** What `work` throws, classified; fails the test when it throws nothing. */
async function classified(work: () => Promise<unknown>): Promise<InletStoreError> {
  try {
    await work();
  } catch (error) {
    return classifyPostgresError(error, 'test') as InletStoreError;
  }
  throw new Error('expected the work to fail');
}

/** Two connections of their own, released (and destroyed) afterwards. */
async function withTwoClients(work: (a: pg.PoolClient, b: pg.PoolClient) => Promise<void>): Promise<void> {
  const a = await pool.connect();
  const b = await pool.connect();
  try {
    await work(a, b);
  } finally {
    await a.query('rollback').catch(() => undefined);
    await b.query('rollback').catch(() => undefined);
    a.release(true);
    b.release(true);
  }
}

describe('classifyPostgresError against a real server', () => {
  it('classifies a refused connection as INLET_STORE_UNAVAILABLE, retryable', async () => {
    const unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const error = await classified(() => unreachable.query('select 1'));
      expect(error).toMatchObject({
        code: StoreErrorCode.storeUnavailable,
        retryable: true,
        backend: 'postgres',
      });
      expect(error.driverCode).toBe('ECONNREFUSED');
    } finally {
      await unreachable.end();
    }
  });

  it('classifies a lost serialization race (40001) as INLET_STORE_CONFLICT, retryable', async () => {
    await withTwoClients(async (first, second) => {
      await second.query('begin isolation level repeatable read');
      await second.query(`select n from "${table}" where id = 1`); // takes the snapshot
      await first.query(`update "${table}" set n = n + 1 where id = 1`);
      const error = await classified(() => second.query(`update "${table}" set n = n + 1 where id = 1`));
      expect(error).toMatchObject({
        code: StoreErrorCode.storeConflict,
        retryable: true,
        driverCode: '40001',
      });
    });
  });

  it('classifies a lock timeout (55P03) as INLET_STORE_CONFLICT, retryable', async () => {
    await withTwoClients(async (holder, waiter) => {
      await holder.query('begin');
      await holder.query(`select n from "${table}" where id = 1 for update`);
      await waiter.query(`set lock_timeout = '50ms'`);
      const error = await classified(() => waiter.query(`select n from "${table}" where id = 1 for update`));
      expect(error).toMatchObject({
        code: StoreErrorCode.storeConflict,
        retryable: true,
        driverCode: '55P03',
      });
    });
  });

  it('classifies a statement timeout (57014) as INLET_STORE_UNAVAILABLE, retryable', async () => {
    await withTwoClients(async (client) => {
      await client.query('set statement_timeout = 50');
      const error = await classified(() => client.query('select pg_sleep(5)'));
      expect(error).toMatchObject({
        code: StoreErrorCode.storeUnavailable,
        retryable: true,
        driverCode: '57014',
      });
    });
  });

  it('classifies a connection the server terminated as INLET_STORE_UNAVAILABLE, retryable', async () => {
    await withTwoClients(async (victim, operator) => {
      victim.on('error', () => undefined);
      const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
      await operator.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
      const error = await classified(() => victim.query('select 1'));
      expect(error).toMatchObject({ code: StoreErrorCode.storeUnavailable, retryable: true });
    });
  });

  it('classifies a syntax error, a missing table and a broken constraint as INLET_STORE_FAILED', async () => {
    const syntax = await classified(() => pool.query('selec 1'));
    expect(syntax).toMatchObject({ code: StoreErrorCode.storeFailed, retryable: false, driverCode: '42601' });
    expect(syntax.message).toMatch(/^PostgreSQL test failed: .* \(SQLSTATE 42601\)$/);
    const missing = await classified(() => pool.query(`select * from "${table}_missing"`));
    expect(missing).toMatchObject({ code: StoreErrorCode.storeFailed, driverCode: '42P01' });
    const duplicate = await classified(() => pool.query(`insert into "${table}" values (1, 0)`));
    expect(duplicate).toMatchObject({ code: StoreErrorCode.storeFailed, driverCode: '23505' });
    expect(InletError.is(duplicate)).toBe(true);
    expect(duplicate.cause).toBeInstanceOf(pg.DatabaseError);
  });
});
