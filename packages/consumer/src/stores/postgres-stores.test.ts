import { EventEmitter } from 'node:events';
import { InletError, InletErrorCode } from '@inlet/core';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from '@inlet/postgres';
import { StoreErrorCode } from '@inlet/store-errors';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { createPostgresDedupStore } from './postgres-dedup-store';
import { createPostgresTransactionalDedup } from './postgres-transactional-dedup';
import { createPostgresVersionStore } from './postgres-version-store';

type Answer = (
  text: string,
  values: unknown[] | undefined,
) => Promise<Partial<PostgresQueryResult>> | Partial<PostgresQueryResult>;

function result(partial: Partial<PostgresQueryResult> = {}): PostgresQueryResult {
  return { rows: [], command: 'SELECT', ...partial };
}

function serverError(sqlState: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = sqlState;
  error.severity = 'ERROR';
  return error;
}

/** A stand-in for a pg.Pool: records every statement and answers with `answer`. */
function fakePool(answer: Answer = () => ({})) {
  const statements: string[] = [];
  const values: (unknown[] | undefined)[] = [];
  const run = async (text: string, params?: unknown[]) => {
    statements.push(text.split(/\s+/, 1)[0] === 'create' ? 'create' : text);
    values.push(params);
    return result(await answer(text, params));
  };
  class FakeClient extends EventEmitter implements PostgresPoolClient {
    readonly release = vi.fn((_destroy?: Error | boolean) => undefined);
    query(text: string, params?: unknown[]) {
      return run(text, params);
    }
  }
  const clients: FakeClient[] = [];
  const pool = {
    query: vi.fn(run),
    connect: vi.fn(async () => {
      const client = new FakeClient();
      clients.push(client);
      return client;
    }),
    end: vi.fn(async () => undefined),
  } satisfies PostgresPool<FakeClient> & Record<string, unknown>;
  return { pool, statements, values, clients };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

const isMarkIfExpired = (text: string) => text.startsWith('insert') && text.includes('returning key');
const keyRow = (text: string) => (isMarkIfExpired(text) ? { rows: [{ key: 'k' }] } : {});

describe('createPostgresDedupStore', () => {
  it('rejects a pool without query() and names that are not plain identifiers', () => {
    expect(() => createPostgresDedupStore({ pool: {} as never })).toThrowError(
      /^pool must be a client with query\(\)/,
    );
    expect(() => createPostgresDedupStore({ pool: fakePool().pool, table: 'Marks' })).toThrowError(
      /^table must be/,
    );
    expect(() => createPostgresDedupStore({ pool: fakePool().pool, purgeIntervalMs: -1 })).toThrowError(
      /^purgeIntervalMs must be/,
    );
  });

  it('creates the table once, then marks sorted, distinct, escaped keys in one statement', async () => {
    const { pool, statements, values } = fakePool();
    await using store = createPostgresDedupStore({ pool, purgeIntervalMs: false });
    await store.mark(['b', 'a\u0000x', 'b'], 1_000);
    await store.mark(['c'], 1_000);
    expect(statements.filter((text) => text === 'create')).toHaveLength(1);
    expect(statements.filter((text) => text.startsWith('insert'))).toHaveLength(2);
    expect(values[1]).toEqual([['a\\0x', 'b'], 1_000]);
  });

  it('starts a purge after a mark when one is due, and close waits for it', async () => {
    let finishPurge!: () => void;
    const { pool, statements } = fakePool(async (text) => {
      if (!text.startsWith('with purged')) return {};
      await new Promise<void>((resolve) => {
        finishPurge = resolve;
      });
      return { rows: [{ purged: 0 }] };
    });
    const store = createPostgresDedupStore({ pool, purgeIntervalMs: 60_000 });
    await store.mark(['a'], 1_000);
    await store.mark(['b'], 1_000);
    expect(statements.filter((text) => text.startsWith('with purged'))).toHaveLength(1);
    let closed = false;
    const closing = store.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    finishPurge();
    await closing;
    expect(pool.end).not.toHaveBeenCalled();
  });

  it('tries creating the table again after a failed attempt', async () => {
    let failCreate = true;
    const { pool } = fakePool((text) => {
      if (text.startsWith('create') && failCreate)
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return {};
    });
    await using store = createPostgresDedupStore({ pool });
    const error = await rejectionOf(store.seen(['a']));
    expect(InletError.hasCode(error, StoreErrorCode.storeUnavailable)).toBe(true);
    failCreate = false;
    expect(await store.seen(['a'])).toEqual([false]);
  });

  it('takes a table another member created at the same moment', async () => {
    const { pool } = fakePool((text) => {
      if (text.startsWith('create'))
        throw serverError('23505', 'duplicate key value violates unique constraint');
      return {};
    });
    await using store = createPostgresDedupStore({ pool });
    expect(await store.seen(['a'])).toEqual([false]);
  });
});

describe('createPostgresVersionStore', () => {
  it('records the highest version per key, sorted, in one statement', async () => {
    const { pool, values } = fakePool();
    await using store = createPostgresVersionStore({ pool, schema: 'inlet', table: 'versions' });
    await store.record([
      { key: 'b', version: 2 },
      { key: 'a', version: 5 },
      { key: 'b', version: 7 },
      { key: 'b', version: 1 },
    ]);
    expect(values.at(-1)).toEqual([
      ['a', 'b'],
      ['5', '7'],
    ]);
  });

  it('reads bigint versions, which arrive as strings', async () => {
    const { pool } = fakePool((text) =>
      text.startsWith('select') ? { rows: [{ key: 'a', version: '9007199254740991' }] } : {},
    );
    await using store = createPostgresVersionStore({ pool });
    expect(await store.latest(['a', 'b'])).toEqual([Number.MAX_SAFE_INTEGER, undefined]);
  });
});

describe('createPostgresTransactionalDedup', () => {
  it('begins, marks, runs the work, commits, and gives the client back', async () => {
    const { pool, statements, clients } = fakePool((text) => ({
      ...keyRow(text),
      command: text.toUpperCase(),
    }));
    await using dedup = createPostgresTransactionalDedup({ pool, purgeIntervalMs: false });
    const work = vi.fn(async (transaction: PostgresPoolClient) => {
      await transaction.query('insert into effects values (1)');
    });
    expect(await dedup.run('k', 1_000, work)).toBe('handled');
    expect(statements.map((text) => text.split(/\s+/)[0])).toEqual([
      'create',
      'begin',
      'insert',
      'insert',
      'commit',
    ]);
    expect(work).toHaveBeenCalledWith(clients[0]);
    expect(clients[0]?.release).toHaveBeenCalledWith(undefined);
    expect(clients[0]?.listenerCount('error')).toBe(0);
  });

  it('rolls back without running the work when the key has a live mark', async () => {
    const { pool, statements, clients } = fakePool();
    await using dedup = createPostgresTransactionalDedup({ pool });
    const work = vi.fn(async () => {});
    expect(await dedup.run('k', 1_000, work)).toBe('duplicate');
    expect(work).not.toHaveBeenCalled();
    expect(statements.at(-1)).toBe('rollback');
    expect(clients[0]?.release).toHaveBeenCalledWith(undefined);
  });

  it("rolls back and rethrows the work's own error untouched", async () => {
    const { pool, statements, clients } = fakePool(keyRow);
    await using dedup = createPostgresTransactionalDedup({ pool });
    const failure = serverError('23505', 'duplicate key in effects');
    expect(await rejectionOf(dedup.run('k', 1_000, async () => Promise.reject(failure)))).toBe(failure);
    expect(statements.at(-1)).toBe('rollback');
    expect(clients[0]?.release).toHaveBeenCalledWith(undefined);
  });

  it('destroys the client when the rollback fails too', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const { pool, clients } = fakePool((text) => {
      if (text === 'rollback') throw lost;
      return keyRow(text);
    });
    await using dedup = createPostgresTransactionalDedup({ pool });
    await rejectionOf(dedup.run('k', 1_000, async () => Promise.reject(new Error('work failed'))));
    expect(clients[0]?.release).toHaveBeenCalledWith(lost);
  });

  it('classifies a failed COMMIT and still gives the client back', async () => {
    const { pool, clients } = fakePool((text) => {
      if (text === 'commit') throw serverError('40001', 'could not serialize access');
      return keyRow(text);
    });
    await using dedup = createPostgresTransactionalDedup({ pool });
    const error = await rejectionOf(dedup.run('k', 1_000, async () => {}));
    expect(InletError.hasCode(error, StoreErrorCode.storeConflict)).toBe(true);
    expect((error as InletError).retryable).toBe(true);
    expect(clients[0]?.release).toHaveBeenCalledTimes(1);
  });

  it('fails when COMMIT answers ROLLBACK: the work swallowed a failed statement', async () => {
    const { pool } = fakePool((text) => (text === 'commit' ? { command: 'ROLLBACK' } : keyRow(text)));
    await using dedup = createPostgresTransactionalDedup({ pool });
    const error = await rejectionOf(dedup.run('k', 1_000, async () => {}));
    expect(InletError.hasCode(error, StoreErrorCode.storeFailed)).toBe(true);
  });

  it('destroys the client whose connection broke during the work, without crashing the process', async () => {
    const { pool, clients } = fakePool(keyRow);
    await using dedup = createPostgresTransactionalDedup({ pool });
    const lost = new Error('Connection terminated unexpectedly');
    await dedup.run('k', 1_000, async () => {
      // An EventEmitter throws an 'error' nobody listens to: this passes only because run() listens.
      clients[0]?.emit('error', lost);
    });
    expect(clients[0]?.release).toHaveBeenCalledWith(lost);
  });

  it('classifies a failed connect', async () => {
    const { pool } = fakePool();
    pool.connect.mockRejectedValueOnce(new Error('timeout exceeded when trying to connect'));
    await using dedup = createPostgresTransactionalDedup({ pool });
    const error = await rejectionOf(dedup.run('k', 1_000, async () => {}));
    expect(InletError.hasCode(error, StoreErrorCode.storeUnavailable)).toBe(true);
  });

  it('waits for runs in flight when closed, then refuses new ones', async () => {
    const { pool } = fakePool(keyRow);
    const dedup = createPostgresTransactionalDedup({ pool });
    let finishWork!: () => void;
    const running = dedup.run('k', 1_000, () => new Promise<void>((resolve) => (finishWork = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = dedup.close();
    expect(
      InletError.hasCode(await rejectionOf(dedup.run('j', 1_000, async () => {})), InletErrorCode.closed),
    ).toBe(true);
    finishWork();
    expect(await running).toBe('handled');
    await closing;
    expect(pool.end).not.toHaveBeenCalled();
  });
});
