import { spawn } from 'node:child_process';
import { InletError, InletErrorCode } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { eventually, testEnvironment } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresDedupStore } from './postgres-dedup-store';
import { createPostgresTransactionalDedup } from './postgres-transactional-dedup';

const environment = testEnvironment();
const runPrefix = `inlet_test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let pool: pg.Pool;
let testCounter = 0;
let markTable: string;
let effectTable: string;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 10 });
});

afterAll(async () => {
  const { rows } = await pool.query<{ name: string }>(
    `select tablename as name from pg_tables where tablename like $1`,
    [`${runPrefix}%`],
  );
  for (const { name } of rows) await pool.query(`drop table if exists "${name}"`);
  await pool.end();
});

// Each test: its own table of marks, and a table of effects its handlers write.
beforeEach(async () => {
  testCounter += 1;
  markTable = `${runPrefix}_marks${testCounter}`;
  effectTable = `${runPrefix}_effects${testCounter}`;
  await pool.query(`create table "${effectTable}" (id text primary key)`);
});
afterEach(async () => {
  await pool.query(`drop table if exists "${effectTable}", "${markTable}"`);
});

async function effects(): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(`select id from "${effectTable}" order by id`);
  return rows.map(({ id }) => id);
}

async function liveMarks(): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    `select key from "${markTable}" where expires_at > now() order by key`,
  );
  return rows.map(({ key }) => key);
}

function writeEffect(id: string) {
  return async (transaction: pg.PoolClient) => {
    await transaction.query(`insert into "${effectTable}" (id) values ($1)`, [id]);
  };
}

/** Resolves once some session is waiting for a lock in a statement on the marks table. */
async function someoneWaitsOnMarks(): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await pool.query<{ waiting: number }>(
        `select count(*)::integer as waiting from pg_stat_activity
         where wait_event_type = 'Lock' and position($1 in query) > 0 and pid <> pg_backend_pid()`,
        [markTable],
      );
      return (rows[0]?.waiting ?? 0) > 0 ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 10, what: 'the second run to wait on the mark' },
  );
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('PostgreSQL transactional dedup', () => {
  it("commits the work's own writes and the mark together", async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    expect(await dedup.run('event-1', 60_000, writeEffect('effect-1'))).toBe('handled');
    expect(await effects()).toEqual(['effect-1']);
    expect(await liveMarks()).toEqual(['event-1']);

    let ranAgain = false;
    const again = await dedup.run('event-1', 60_000, async () => {
      ranAgain = true;
    });
    expect(again).toBe('duplicate');
    expect(ranAgain).toBe(false);

    // The plain store on the same table sees the transactional marks.
    await using store = createPostgresDedupStore({ pool, table: markTable });
    expect(await store.seen(['event-1', 'event-2'])).toEqual([true, false]);
  });

  it('leaves neither the effect nor the mark when the work throws, and rethrows its error', async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    const failure = new Error('handler failed');
    const outcome = dedup.run('event-1', 60_000, async (transaction) => {
      await writeEffect('effect-1')(transaction);
      throw failure;
    });
    await expect(outcome).rejects.toBe(failure);
    expect(await effects()).toEqual([]);
    expect(await liveMarks()).toEqual([]);
    expect(await dedup.run('event-1', 60_000, writeEffect('effect-2'))).toBe('handled');
    expect(await effects()).toEqual(['effect-2']);
  });

  it('marks a batch in one transaction: the work learns which keys are fresh, each at most once', async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    expect(await dedup.run('event-1', 60_000, writeEffect('effect-1'))).toBe('handled');
    let seenFresh: readonly boolean[] = [];
    const fresh = await dedup.runBatch(
      ['event-1', 'event-2', 'event-3', 'event-2'],
      60_000,
      async (transaction, marked) => {
        seenFresh = marked;
        await writeEffect('effect-2')(transaction);
        await writeEffect('effect-3')(transaction);
      },
    );
    expect(fresh).toEqual([false, true, true, false]);
    expect(seenFresh).toEqual(fresh);
    expect(await effects()).toEqual(['effect-1', 'effect-2', 'effect-3']);
    expect(await liveMarks()).toEqual(['event-1', 'event-2', 'event-3']);

    // No key fresh: the work does not run, nothing is written.
    let ran = false;
    expect(
      await dedup.runBatch(['event-2', 'event-3'], 60_000, async () => {
        ran = true;
      }),
    ).toEqual([false, false]);
    expect(ran).toBe(false);
  });

  it('rolls back a whole batch, marks and effects, when the work throws', async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    const failure = new Error('batch handler failed');
    await expect(
      dedup.runBatch(['event-1', 'event-2'], 60_000, async (transaction) => {
        await writeEffect('effect-1')(transaction);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await effects()).toEqual([]);
    expect(await liveMarks()).toEqual([]);
  });

  it('makes a batch wait for another member holding one of its keys, then sees it as marked', async () => {
    await using first = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    await using second = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    const release = deferred();
    const holding = deferred();
    const firstRun = first.run('event-2', 60_000, async (transaction) => {
      await writeEffect('first-2')(transaction);
      holding.resolve();
      await release.promise;
    });
    await holding.promise;
    const secondRun = second.runBatch(
      ['event-1', 'event-2', 'event-3'],
      60_000,
      async (transaction, fresh) => {
        for (const [index, isFresh] of fresh.entries())
          if (isFresh) await writeEffect(`second-${index + 1}`)(transaction);
      },
    );
    await someoneWaitsOnMarks();
    release.resolve();
    expect(await firstRun).toBe('handled');
    expect(await secondRun).toEqual([true, false, true]);
    expect(await effects()).toEqual(['first-2', 'second-1', 'second-3']);
  });

  it('runs the work once when two runs race on one key: the second waits, then sees a duplicate', async () => {
    await using first = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    await using second = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    for (let round = 1; round <= 5; round += 1) {
      const key = `race-${round}`;
      const inWork = deferred();
      const release = deferred();
      const calls: string[] = [];
      const firstRun = first.run(key, 60_000, async (transaction) => {
        calls.push('first');
        await writeEffect(`${key}-first`)(transaction);
        inWork.resolve();
        await release.promise;
      });
      await inWork.promise;
      const secondRun = second.run(key, 60_000, async (transaction) => {
        calls.push('second');
        await writeEffect(`${key}-second`)(transaction);
      });
      await someoneWaitsOnMarks();
      release.resolve();
      expect(await Promise.all([firstRun, secondRun])).toEqual(['handled', 'duplicate']);
      expect(calls).toEqual(['first']);
    }
    expect(await effects()).toEqual([1, 2, 3, 4, 5].map((round) => `race-${round}-first`));
  });

  it('runs the waiting run when the first one rolls back', async () => {
    await using first = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    await using second = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    for (let round = 1; round <= 5; round += 1) {
      const key = `rollback-${round}`;
      const inWork = deferred();
      const release = deferred();
      const failure = new Error('first handler failed');
      const firstRun = first.run(key, 60_000, async (transaction) => {
        await writeEffect(`${key}-first`)(transaction);
        inWork.resolve();
        await release.promise;
        throw failure;
      });
      await inWork.promise;
      const secondRun = second.run(key, 60_000, writeEffect(`${key}-second`));
      await someoneWaitsOnMarks();
      release.resolve();
      await expect(firstRun).rejects.toBe(failure);
      expect(await secondRun).toBe('handled');
    }
    expect(await effects()).toEqual([1, 2, 3, 4, 5].map((round) => `rollback-${round}-second`));
    expect(await liveMarks()).toHaveLength(5);
  });

  it('runs a key again once its mark has expired', async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    expect(await dedup.run('event-1', 100, writeEffect('effect-1'))).toBe('handled');
    expect(await dedup.run('event-1', 100, writeEffect('never'))).toBe('duplicate');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await dedup.run('event-1', 60_000, writeEffect('effect-2'))).toBe('handled');
    expect(await effects()).toEqual(['effect-1', 'effect-2']);
    expect(await liveMarks()).toEqual(['event-1']);
  });

  it('leaves no mark and no effect when the connection dies during the work', async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    const outcome = dedup.run('event-1', 60_000, async (transaction) => {
      await writeEffect('effect-1')(transaction);
      transaction.connection.stream.destroy();
    });
    const error = await outcome.catch((thrown: unknown) => thrown);
    expect(InletError.hasCode(error, StoreErrorCode.storeUnavailable)).toBe(true);
    expect((error as InletError).retryable).toBe(true);
    expect(await effects()).toEqual([]);
    expect(await liveMarks()).toEqual([]);
    // The dead connection did not go back to the pool, and the key runs again.
    expect(await dedup.run('event-1', 60_000, writeEffect('effect-2'))).toBe('handled');
    expect(await effects()).toEqual(['effect-2']);
  });

  it('leaves no mark and no effect when the process is killed during the work', async () => {
    // The child creates the table of marks; wait for it to be in its work before killing it.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@inlet/source',
        new URL('./fixtures/transactional-dedup-child.fixture.ts', import.meta.url).pathname,
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: environment.databaseUrl,
          MARK_TABLE: markTable,
          EFFECT_TABLE: effectTable,
          DEDUP_KEY: 'event-1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('IN WORK')) resolve();
      });
      child.on('close', (code) => reject(new Error(`child exited (${code}) before its work: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));

    expect(await effects()).toEqual([]);
    expect(await liveMarks()).toEqual([]);
    // Once the server has dropped the dead session and its row lock, the key runs here.
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    expect(await dedup.run('event-1', 60_000, writeEffect('effect-after-crash'))).toBe('handled');
    expect(await effects()).toEqual(['effect-after-crash']);
  });

  it('fails the run when the work swallowed a failed statement, committing nothing', async () => {
    await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool, table: markTable });
    const outcome = dedup.run('event-1', 60_000, async (transaction) => {
      await writeEffect('effect-1')(transaction);
      await transaction.query('select * from no_such_table').catch(() => undefined);
    });
    const error = await outcome.catch((thrown: unknown) => thrown);
    expect(InletError.hasCode(error, StoreErrorCode.storeFailed)).toBe(true);
    expect(await effects()).toEqual([]);
    expect(await liveMarks()).toEqual([]);
  });

  it('gives clients back to the pool after every outcome', async () => {
    const small = new pg.Pool({ connectionString: environment.databaseUrl, max: 1 });
    try {
      await using dedup = createPostgresTransactionalDedup<pg.PoolClient>({ pool: small, table: markTable });
      await dedup.run('event-1', 60_000, writeEffect('effect-1'));
      await dedup.run('event-1', 60_000, writeEffect('never'));
      await dedup.run('event-2', 60_000, async () => Promise.reject(new Error('no'))).catch(() => undefined);
      expect(await dedup.run('event-3', 60_000, writeEffect('effect-3'))).toBe('handled');
      expect(small.idleCount).toBe(1);
      expect(small.waitingCount).toBe(0);
    } finally {
      await small.end();
    }
  });

  it('fails runs after close with INLET_CLOSED and leaves the pool open', async () => {
    const dedup = createPostgresTransactionalDedup({ pool, table: markTable });
    await dedup.close();
    await dedup.close();
    const error = await dedup.run('event-1', 60_000, async () => {}).catch((thrown: unknown) => thrown);
    expect(InletError.hasCode(error, InletErrorCode.closed)).toBe(true);
    expect(pool.ended).toBe(false);
  });
});
