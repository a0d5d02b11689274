import { createEvent } from '@inlet/core';
import { testEnvironment } from '@inlet/test-support';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkBatch, SinkChange } from '../sink';
import {
  type ContractEvent,
  ContractItem,
  contractTopic,
  describeSinkContract,
  type TargetEntity,
} from '../sink-contract';
import { createPostgresSink } from './postgres-sink';
import { orderChange, orders } from './postgres-sink.test-support';
import { PostgresSinkErrorCode } from './postgres-sink-error-code';
import type { PostgresSinkOptions } from './postgres-sink-options';
import { tableName } from './table-name.test-support';

const environment = testEnvironment();
let pool: pg.Pool;
beforeAll(() => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
});
afterAll(async () => {
  await pool.end();
});

type Overrides = Omit<
  Partial<PostgresSinkOptions<readonly [typeof contractTopic]>>,
  'pool' | 'table' | 'topics'
>;

// A key the seeded variants write before the contract runs, left out of what they read.
const seedKey = 'seed-key';

/**
 * A sink over a fresh table made by ensureTable, whose value column refuses 'refused'.
 * `seeded`: the sink first writes a key twice, so that the table holds a key and (with COPY)
 * the sink starts in its merge branch rather than COPYing straight into the table.
 */
function underTest(overrides: Overrides, seeded = false) {
  return async () => {
    const table = tableName('pg_sink');
    const sink = createPostgresSink({
      pool,
      table,
      topics: [contractTopic],
      ensureTable: true,
      ...overrides,
      // Each sink its own offsets table, dropped with it.
      ...(overrides.exactlyOnce === true ? { exactlyOnce: { offsetsTable: `${table}_offsets` } } : {}),
    });
    await sink.init();
    await pool.query(`alter table ${table} add constraint value_allowed check (value <> 'refused')`);
    if (seeded)
      // Its own group, so that its stored offsets (exactly once) cover none of the contract's batches.
      for (const revision of [1, 2])
        await sink.write({ ...batchOf([upsert(seedKey, revision)]), groupId: 'seed-group' }, { signal });
    const append = overrides.mode === 'append';
    const marks = overrides.deletes !== 'remove';
    return {
      sink,
      async read() {
        const { rows } = await pool.query(
          append
            ? `select distinct on (key) key, entity_version, value, deleted from ${table} order by key, entity_version desc`
            : `select key, entity_version, value, ${marks ? 'deleted' : 'false as deleted'} from ${table} where key <> '${seedKey}'`,
        );
        return new Map<string, TargetEntity>(
          rows.map((row) => [
            row.key as string,
            {
              revision: row.entity_version === null ? undefined : Number(row.entity_version),
              value: row.deleted ? undefined : (row.value as string),
              deleted: row.deleted as boolean,
            },
          ]),
        );
      },
      async cleanup() {
        await pool.query(`drop table if exists ${table}, ${table}_deleted, ${table}_offsets`);
      },
    };
  };
}

const refusedItem = (id: string) => ({ id, revision: 1, value: 'refused' });

describeSinkContract('postgres upsert (statement, deletes marked)', {
  create: underTest({}),
  refusedItem,
});
// From an empty table the COPY path starts by COPYing straight into the table; seeded, it
// starts with the staging table's merge. Both switch between the two as the batches go.
describeSinkContract('postgres upsert (copy, deletes marked)', {
  create: underTest({ write: 'copy' }),
  refusedItem,
});
describeSinkContract('postgres upsert (copy, deletes marked, keys already in the table)', {
  create: underTest({ write: 'copy' }, true),
  refusedItem,
});
describeSinkContract('postgres upsert (statement, deletes removed)', {
  create: underTest({ deletes: 'remove' }),
  refusedItem,
});
describeSinkContract('postgres upsert (copy, deletes removed)', {
  create: underTest({ write: 'copy', deletes: 'remove' }),
  refusedItem,
});
describeSinkContract('postgres append', {
  create: underTest({ mode: 'append' }),
  versioned: false,
  deletes: false,
  refusedItem,
});
describeSinkContract('postgres append (copy, staged)', {
  create: underTest({ mode: 'append', write: 'copy' }),
  versioned: false,
  deletes: false,
  refusedItem,
});
describeSinkContract('postgres append (copy straight into the table, exactly once)', {
  create: underTest({ mode: 'append', write: 'copy', exactlyOnce: true }),
  versioned: false,
  deletes: false,
  refusedItem,
});
describeSinkContract('postgres upsert (copy, exactly once)', {
  create: underTest({ write: 'copy', exactlyOnce: true }),
  refusedItem,
});
describeSinkContract('postgres upsert (copy, exactly once, keys already in the table)', {
  create: underTest({ write: 'copy', exactlyOnce: true }, true),
  refusedItem,
});

const signal = new AbortController().signal;
let offset = 0;
function upsert(id: string, revision: number, value = `${id}@${revision}`): SinkChange<ContractEvent> {
  const event = createEvent(ContractItem, { id, revision, value }, { source: 'urn:test' }) as ContractEvent;
  return { kind: 'upsert', event, key: id, entityVersion: revision, offset: String(offset++) };
}
function batchOf(changes: readonly SinkChange<ContractEvent>[], partition = 0): SinkBatch<ContractEvent> {
  return {
    groupId: 'g',
    topic: contractTopic.name,
    partition,
    changes,
    nextOffset: String(Number(changes.at(-1)?.offset ?? '0') + 1),
  };
}

describe('the PostgreSQL sink', () => {
  const dropped: string[] = [];
  afterAll(async () => {
    if (dropped.length > 0) await pool.query(`drop table if exists ${dropped.join(', ')}`);
  });
  const table = (prefix = 'pg_sink') => {
    const name = tableName(prefix);
    dropped.push(name);
    return name;
  };

  it('creates the table from the definition, with typed columns', async () => {
    const name = table('orders');
    const sink = createPostgresSink({ pool, table: name, topics: [orders], ensureTable: true });
    await sink.init();
    const { rows } = await pool.query(
      `select column_name, data_type, is_nullable from information_schema.columns where table_name = $1 order by ordinal_position`,
      [name],
    );
    expect(rows.map((row) => [row.column_name, row.data_type])).toEqual([
      ['key', 'text'],
      ['entity_version', 'bigint'],
      ['event_id', 'text'],
      ['event_time', 'timestamp with time zone'],
      ['deleted', 'boolean'],
      ['order_id', 'text'],
      ['status', 'text'],
      ['revision', 'bigint'],
      ['at', 'timestamp with time zone'],
      ['total', 'double precision'],
      ['lines', 'jsonb'],
    ]);
    await sink.close();
  });

  it('lands three revisions of an order as one row at the last (the quick start)', async () => {
    const name = table('orders');
    const sink = createPostgresSink({ pool, table: name, topics: [orders], ensureTable: true });
    await sink.write(
      {
        groupId: 'g',
        topic: orders.name,
        partition: 0,
        changes: [
          orderChange('o-1', 0, 'placed', '0'),
          orderChange('o-1', 1, 'packed', '1'),
          orderChange('o-1', 2, 'shipped', '2'),
        ],
        nextOffset: '3',
      },
      { signal },
    );
    const { rows } = await pool.query(`select key, status, entity_version, lines, total from ${name}`);
    expect(rows).toEqual([
      { key: 'o-1', status: 'shipped', entity_version: '2', lines: ['a', 'b\tc'], total: 2.5 },
    ]);
    await sink.close();
  });

  it('fails to start on a table without the columns it writes, naming them; never alters it', async () => {
    const name = table();
    await pool.query(`create table ${name} (key text primary key, value text)`);
    const sink = createPostgresSink({ pool, table: name, topics: [contractTopic], ensureTable: true });
    const failure = await sink.init().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: PostgresSinkErrorCode.missingColumns, retryable: false });
    expect(String((failure as Error).message)).toContain(
      'entity_version, event_id, event_time, deleted, id, revision',
    );
    const { rows } = await pool.query(
      `select count(*)::int as n from information_schema.columns where table_name = $1`,
      [name],
    );
    expect(rows[0].n).toBe(2);
    await expect(sink.write(batchOf([upsert('a', 1)]), { signal })).rejects.toMatchObject({
      code: PostgresSinkErrorCode.missingColumns,
    });
  });

  it('writes a char(n) column whole, refusing only what is too long; refuses array-typed columns', async () => {
    const name = table();
    await pool.query(
      `create table ${name} (key text primary key, entity_version bigint, event_id text, event_time timestamptz, deleted boolean not null default false, code char(4))`,
    );
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      columns: (event) => ({ code: event.data.value }),
    });
    const result = await sink.write(batchOf([upsert('a', 1, 'abcd'), upsert('b', 1, 'abcde')]), { signal });
    expect(result.rejected?.map(({ index }) => index)).toEqual([1]);
    const { rows } = await pool.query(`select key, code from ${name}`);
    expect(rows).toEqual([{ key: 'a', code: 'abcd' }]);
    const arrays = table();
    await pool.query(
      `create table ${arrays} (key text primary key, entity_version bigint, event_id text, event_time timestamptz, deleted boolean not null default false, tags text[])`,
    );
    const refusing = createPostgresSink({
      pool,
      table: arrays,
      topics: [contractTopic],
      columns: () => ({}),
    });
    await expect(refusing.init()).rejects.toMatchObject({ code: PostgresSinkErrorCode.unsupportedColumn });
  });

  it('fails for good on a missing table without ensureTable', async () => {
    const sink = createPostgresSink({ pool, table: tableName('absent'), topics: [contractTopic] });
    await expect(sink.write(batchOf([upsert('a', 1)]), { signal })).rejects.toMatchObject({
      code: PostgresSinkErrorCode.missingTable,
      retryable: false,
    });
  });

  for (const write of ['statement', 'copy'] as const) {
    it(`rejects a value the column type refuses, alone, also when COPY meets it (${write})`, async () => {
      const name = table();
      await pool.query(
        `create table ${name} (key text primary key, entity_version bigint, event_id text, event_time timestamptz, deleted boolean not null default false, due timestamptz)`,
      );
      const sink = createPostgresSink({
        pool,
        table: name,
        topics: [contractTopic],
        write,
        columns: (event) => ({ due: event.data.value }),
      });
      const result = await sink.write(
        batchOf([
          upsert('a', 1, '2026-01-01T00:00:00Z'),
          upsert('b', 1, 'not a time'),
          upsert('c', 1, '2026-02-01T00:00:00Z'),
        ]),
        { signal },
      );
      expect(
        result.rejected?.map(({ index, error }) => [index, (error as { sqlState?: string }).sqlState]),
      ).toEqual([[1, '22007']]);
      // The connection is usable afterwards: the next batch lands.
      await sink.write(batchOf([upsert('d', 1, '2026-03-01T00:00:00Z')]), { signal });
      const { rows } = await pool.query(`select key from ${name} order by key`);
      expect(rows.map((row) => row.key)).toEqual(['a', 'c', 'd']);
      await sink.close();
    });
  }

  it('writes the columns a mapping of your own returns', async () => {
    const name = table();
    await pool.query(
      `create table ${name} (key text primary key, entity_version bigint, event_id text, event_time timestamptz, deleted boolean not null default false, label text not null, seq bigserial, written_at timestamptz default now())`,
    );
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      columns: (event) => ({ label: event.data.value.toUpperCase() }),
    });
    const result = await sink.write(batchOf([upsert('a', 1), upsert('b', 2)]), { signal });
    expect(result.rejected).toEqual([]);
    const { rows } = await pool.query(`select key, label, seq is not null as seq from ${name} order by key`);
    expect(rows).toEqual([
      { key: 'a', label: 'A@1', seq: true },
      { key: 'b', label: 'B@2', seq: true },
    ]);
  });

  for (const write of ['statement', 'copy'] as const) {
    it(`writes any text and JSON as it was (${write})`, async () => {
      const name = table('orders');
      const sink = createPostgresSink({ pool, table: name, topics: [orders], ensureTable: true, write });
      const texts = [
        'with "quote"',
        'back\\slash',
        '{a,b}',
        'NULL',
        '',
        'tab\tnew\nline\r',
        'ö ☃ 😀',
        '\\N',
        ' padded ',
      ];
      const changes = texts.map((status, index) => {
        const change = orderChange(`k-${index}`, 1, status, String(index));
        return change;
      });
      const result = await sink.write(
        { groupId: 'g', topic: orders.name, partition: 0, changes, nextOffset: String(changes.length) },
        { signal },
      );
      expect(result.rejected).toEqual([]);
      const { rows } = await pool.query(`select key, status, lines from ${name} order by key`);
      expect(rows).toEqual(
        texts.map((status, index) => ({ key: `k-${index}`, status, lines: ['a', 'b\tc'] })),
      );
      await sink.close();
    });

    it(`ends at the newest per key whatever the order and repeats (${write}, a property)`, async () => {
      const name = table();
      const sink = createPostgresSink({
        pool,
        table: name,
        topics: [contractTopic],
        ensureTable: true,
        write,
      });
      await sink.init();
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), revision: fc.nat(50) }), {
            minLength: 1,
            maxLength: 30,
            selector: ({ id, revision }) => `${id}@${revision}`,
          }),
          async (items) => {
            await pool.query(`truncate ${name}`);
            const changes = items.map(({ id, revision }) => upsert(id, revision));
            // The batch, then in reverse, then oldest versions last: the table is the newest per key.
            const byVersionDown = [...changes].sort(
              (a, b) => (b.entityVersion ?? 0) - (a.entityVersion ?? 0),
            );
            for (const order of [changes, [...changes].reverse(), byVersionDown, changes])
              await sink.write(batchOf(order), { signal });
            const newest = new Map<string, number>();
            for (const { id, revision } of items) newest.set(id, Math.max(revision, newest.get(id) ?? -1));
            const { rows } = await pool.query(`select key, entity_version, value from ${name} order by key`);
            expect(rows).toEqual(
              [...newest]
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([id, revision]) => ({
                  key: id,
                  entity_version: String(revision),
                  value: `${id}@${revision}`,
                })),
            );
          },
        ),
        { numRuns: 25 },
      );
      await sink.close();
    }, 60_000);
  }

  it('stores each partition’s next offset with its rows (exactly once), also when rows are refused', async () => {
    const name = table();
    const offsets = table('offsets');
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      ensureTable: true,
      exactlyOnce: { offsetsTable: offsets },
    });
    await sink.init();
    await pool.query(`alter table ${name} add constraint value_allowed check (value <> 'refused')`);
    const partitions = [
      { topic: contractTopic.name, partition: 0 },
      { topic: contractTopic.name, partition: 1 },
    ];
    expect(await sink.storedOffsets?.('g', partitions)).toEqual([]);
    await sink.write({ ...batchOf([upsert('a', 1)]), nextOffset: '10' }, { signal });
    const refused = await sink.write(
      { ...batchOf([upsert('b', 1), upsert('c', 1, 'refused')], 1), nextOffset: '7' },
      { signal },
    );
    expect(
      refused.rejected?.map(({ index, error }) => [index, (error as { sqlState: string }).sqlState]),
    ).toEqual([[1, '23514']]);
    // A batch the stored offset covers (a retry after a lost commit answer, a member that lost
    // the partition) is not written again, and does not move the offset back.
    await sink.write({ ...batchOf([upsert('z', 1)]), nextOffset: '5' }, { signal });
    expect(await sink.storedOffsets?.('g', partitions)).toEqual([
      { topic: contractTopic.name, partition: 0, offset: '10' },
      { topic: contractTopic.name, partition: 1, offset: '7' },
    ]);
    expect(await sink.storedOffsets?.('other-group', partitions)).toEqual([]);
    const { rows } = await pool.query(`select key from ${name} order by key`);
    expect(rows.map((row) => row.key)).toEqual(['a', 'b']);
    await sink.close();
  });

  it('retries nothing it cannot fix: a refused row alone is rejected, with its SQLSTATE and message', async () => {
    const name = table();
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      ensureTable: true,
      write: 'copy',
    });
    await sink.init();
    await pool.query(`alter table ${name} alter column value type varchar(5)`);
    const result = await sink.write(
      batchOf([upsert('a', 1, 'short'), upsert('b', 1, 'far too long'), upsert('c', 1, 'ok')]),
      {
        signal,
      },
    );
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected?.[0]).toMatchObject({
      index: 1,
      error: { code: PostgresSinkErrorCode.rowRefused, sqlState: '22001' },
    });
    expect(String((result.rejected?.[0]?.error as Error | undefined)?.message)).toContain('too long');
    const { rows } = await pool.query(`select key from ${name} order by key`);
    expect(rows.map((row) => row.key)).toEqual(['a', 'c']);
    await sink.close();
  });
});
