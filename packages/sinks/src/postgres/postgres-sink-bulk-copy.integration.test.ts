import type { Tombstone } from '@inlet/consumer';
import { createEvent } from '@inlet/core';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkBatch, SinkChange } from '../sink';
import { type ContractEvent, ContractItem, contractTopic } from '../sink-contract';
import { createPostgresSink } from './postgres-sink';

// Upsert mode with write: 'copy' and deletes marked: COPY straight into the table while the
// batches hold new keys, the staging table's merge once one holds a key the table has.

const environment = testEnvironment();
// What the sink's connections ran, in order: every statement's text (a COPY's too).
const statements: string[] = [];
let pool: pg.Pool;
beforeAll(() => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [first] = args;
      const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
      if (typeof text === 'string') statements.push(text);
      return query(...args);
    };
  });
});
const dropped: string[] = [];
afterAll(async () => {
  if (dropped.length > 0) await pool.query(`drop table if exists ${dropped.join(', ')}`);
  await pool.end();
});

function table(): string {
  const name = uniqueName('pg_bulk').replaceAll('-', '_');
  dropped.push(name);
  return name;
}

const signal = new AbortController().signal;
let offset = 0;
function upsert(id: string, revision: number, value = `${id}@${revision}`): SinkChange<ContractEvent> {
  const event = createEvent(ContractItem, { id, revision, value }, { source: 'urn:test' }) as ContractEvent;
  return { kind: 'upsert', event, key: id, entityVersion: revision, offset: String(offset++) };
}
function remove(id: string, revision: number): SinkChange<ContractEvent> {
  const tombstone: Tombstone = {
    tombstone: true,
    id: `delete-${id}-${revision}`,
    key: id,
    entityVersion: revision,
    eventTime: new Date(),
    type: 'contract.item',
    headers: {},
  };
  return { kind: 'delete', key: id, entityVersion: revision, tombstone, offset: String(offset++) };
}
function batchOf(changes: readonly SinkChange<ContractEvent>[]): SinkBatch<ContractEvent> {
  return {
    groupId: 'g',
    topic: contractTopic.name,
    partition: 0,
    changes,
    nextOffset: String(Number(changes.at(-1)?.offset ?? '0') + 1),
  };
}

/** Which COPY branches a write ran: straight into the table, rolled back, into the staging table. */
function branchesOf(ran: readonly string[]): string[] {
  return ran.flatMap((text) => {
    if (text.startsWith('copy inlet_stage_')) return ['staged'];
    if (text.startsWith('copy ')) return ['direct'];
    if (text === 'rollback to savepoint inlet_copy') return ['rolled back'];
    if (text.startsWith('with merged as')) return ['counted merge'];
    return [];
  });
}

async function writeAndTrace(
  sink: ReturnType<typeof createPostgresSink<readonly [typeof contractTopic]>>,
  changes: readonly SinkChange<ContractEvent>[],
) {
  statements.length = 0;
  const result = await sink.write(batchOf(changes), { signal });
  return { rejected: result.rejected ?? [], branches: branchesOf(statements) };
}

async function rowsOf(name: string) {
  const { rows } = await pool.query(
    `select key, entity_version::int as version, value, to_jsonb(t) -> 'deleted' as deleted from ${name} t order by key`,
  );
  return rows;
}

describe("the PostgreSQL sink's COPY straight into the table (upsert mode)", () => {
  it('lands a batch of new and existing keys through the merge, and switches back after a merge of new keys only', async () => {
    const name = table();
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      ensureTable: true,
      write: 'copy',
    });
    await sink.init();

    expect(await writeAndTrace(sink, [upsert('a', 1), upsert('b', 1), upsert('a', 2)])).toEqual({
      rejected: [],
      branches: ['direct'],
    });
    expect(await writeAndTrace(sink, [upsert('c', 1), remove('d', 1)])).toEqual({
      rejected: [],
      branches: ['direct'],
    });
    // New (e), newer (a), older (b at 0: left as it is) and a delete of an existing key (c).
    expect(
      await writeAndTrace(sink, [upsert('e', 1), upsert('a', 3), upsert('b', 0, 'old'), remove('c', 2)]),
    ).toEqual({ rejected: [], branches: ['direct', 'rolled back', 'staged'] });
    expect(await rowsOf(name)).toEqual([
      { key: 'a', version: 3, value: 'a@3', deleted: false },
      { key: 'b', version: 1, value: 'b@1', deleted: false },
      { key: 'c', version: 2, value: null, deleted: true },
      { key: 'd', version: 1, value: null, deleted: true },
      { key: 'e', version: 1, value: 'e@1', deleted: false },
    ]);
    // No straight COPY now: the merge counts what it inserts, here not every row.
    expect(await writeAndTrace(sink, [upsert('a', 4), upsert('f', 1)])).toEqual({
      rejected: [],
      branches: ['staged', 'counted merge'],
    });
    // Every row new: the merge inserted them all, so the next batch COPYs straight again.
    expect(await writeAndTrace(sink, [upsert('g', 1), upsert('h', 1)])).toEqual({
      rejected: [],
      branches: ['staged', 'counted merge'],
    });
    expect(await writeAndTrace(sink, [upsert('i', 1)])).toEqual({ rejected: [], branches: ['direct'] });
    expect((await rowsOf(name)).map(({ key, version }) => `${key}@${version}`)).toEqual([
      'a@4',
      'b@1',
      'c@2',
      'd@1',
      'e@1',
      'f@1',
      'g@1',
      'h@1',
      'i@1',
    ]);
    await sink.close();
  });

  it('sends a row a CHECK refuses to the row-by-row fallback, from either branch', async () => {
    const name = table();
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      ensureTable: true,
      write: 'copy',
    });
    await sink.init();
    await pool.query(`alter table ${name} add constraint value_allowed check (value <> 'refused')`);
    // Straight into the table: the CHECK fails the COPY, and the batch goes row by row.
    const direct = await writeAndTrace(sink, [upsert('a', 1), upsert('b', 1, 'refused'), upsert('c', 1)]);
    expect(direct.branches).toEqual(['direct']);
    expect(
      direct.rejected.map(({ index, error }) => [index, (error as { sqlState?: string }).sqlState]),
    ).toEqual([[1, '23514']]);
    // COPY checks a row's constraints as it reads it, and the key's unique index only when it
    // flushes its buffer of rows: the CHECK fails first, and the batch goes row by row again.
    const mixed = await writeAndTrace(sink, [upsert('a', 2), upsert('d', 1, 'refused'), upsert('e', 1)]);
    expect(mixed.branches).toEqual(['direct']);
    expect(mixed.rejected.map(({ index }) => index)).toEqual([1]);
    // A key already there: rolled back to the savepoint, and merged.
    expect(await writeAndTrace(sink, [upsert('a', 3), upsert('f', 1)])).toEqual({
      rejected: [],
      branches: ['direct', 'rolled back', 'staged'],
    });
    // From the merge branch: the merge fails on the CHECK, and the batch goes row by row.
    const merged = await writeAndTrace(sink, [upsert('c', 2), upsert('g', 1, 'refused')]);
    expect(merged.branches).toEqual(['staged', 'counted merge']);
    expect(merged.rejected.map(({ index }) => index)).toEqual([1]);
    expect((await rowsOf(name)).map(({ key, version }) => `${key}@${version}`)).toEqual([
      'a@3',
      'c@2',
      'e@1',
      'f@1',
    ]);
    await sink.close();
  });

  it('keeps the merge with deletes removed (the removed keys are checked)', async () => {
    const name = table();
    dropped.push(`${name}_deleted`);
    const sink = createPostgresSink({
      pool,
      table: name,
      topics: [contractTopic],
      ensureTable: true,
      write: 'copy',
      deletes: 'remove',
    });
    await sink.init();
    expect((await writeAndTrace(sink, [upsert('a', 1), remove('b', 5)])).branches).toEqual(['staged']);
    // b was removed at 5: an older upsert stays out.
    expect((await writeAndTrace(sink, [upsert('b', 4)])).branches).toEqual(['staged']);
    expect((await rowsOf(name)).map(({ key }) => key)).toEqual(['a']);
    await sink.close();
  });

  for (const seeded of [false, true]) {
    it(`ends at the newest per key whatever the order and repeats (${seeded ? 'every key already in the table' : 'from an empty table'}, a property)`, async () => {
      const name = table();
      const sink = createPostgresSink({
        pool,
        table: name,
        topics: [contractTopic],
        ensureTable: true,
        write: 'copy',
      });
      await sink.init();
      const keys = ['a', 'b', 'c', 'd', 'e'];
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.record({ id: fc.constantFrom(...keys), revision: fc.nat(50) }), {
            minLength: 1,
            maxLength: 30,
            selector: ({ id, revision }) => `${id}@${revision}`,
          }),
          fc.boolean(),
          async (items, split) => {
            await pool.query(`truncate ${name}`);
            if (seeded)
              await pool.query(
                `insert into ${name} (key, entity_version, value) select k, -1, 'seed' from unnest($1::text[]) k`,
                [keys],
              );
            const changes = items.map(({ id, revision }) => upsert(id, revision));
            const byVersionDown = [...changes].sort(
              (a, b) => (b.entityVersion ?? 0) - (a.entityVersion ?? 0),
            );
            // Split: the first half alone first, so that the next batch mixes new and existing keys.
            const first = split ? [changes.slice(0, Math.ceil(changes.length / 2))] : [];
            for (const order of [...first, changes, [...changes].reverse(), byVersionDown, changes])
              await sink.write(batchOf(order), { signal });
            const newest = new Map<string, number>(seeded ? keys.map((key) => [key, -1]) : []);
            for (const { id, revision } of items) newest.set(id, Math.max(revision, newest.get(id) ?? -1));
            const { rows } = await pool.query(`select key, entity_version, value from ${name} order by key`);
            expect(rows).toEqual(
              [...newest]
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([id, revision]) => ({
                  key: id,
                  entity_version: String(revision),
                  value: revision === -1 ? 'seed' : `${id}@${revision}`,
                })),
            );
          },
        ),
        { numRuns: 25 },
      );
      await sink.close();
    }, 60_000);
  }
});
