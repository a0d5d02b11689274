import { createEvent, InletErrorCode } from '@inlet/core';
import { testEnvironment } from '@inlet/test-support';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkBatch, SinkChange } from '../sink';
import { type ContractEvent, ContractItem, contractTopic } from '../sink-contract';
import { copyChunkRows } from './copy-merge';
import { createPostgresSink } from './postgres-sink';
import { attemptCounterStatements, dropAttemptCounter } from './postgres-sink.test-support';
import type { PostgresSinkPool } from './postgres-sink-options';
import { tableName } from './table-name.test-support';

// Append mode on every write path: the statement, COPY through the staging table, and (with
// exactly once) COPY straight into the table, where only the stored offset keeps replays out.

const environment = testEnvironment();
let pool: pg.Pool;
beforeAll(() => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
});
afterAll(async () => {
  await pool.end();
});

const signal = new AbortController().signal;

function eventOf(id: string, revision: number): ContractEvent {
  return createEvent(
    ContractItem,
    { id, revision, value: `${id}@${revision}` },
    { source: 'urn:test' },
  ) as ContractEvent;
}

/** The events as one batch at these offsets (consecutive, from `first`). */
function batchOf(events: readonly ContractEvent[], first: number): SinkBatch<ContractEvent> {
  const changes: SinkChange<ContractEvent>[] = events.map((event, index) => ({
    kind: 'upsert',
    event,
    key: event.data.id,
    entityVersion: event.data.revision,
    offset: String(first + index),
  }));
  return {
    groupId: 'g',
    topic: contractTopic.name,
    partition: 0,
    changes,
    nextOffset: String(first + events.length),
  };
}

const configurations = [
  { write: 'statement', exactlyOnce: false },
  { write: 'copy', exactlyOnce: false },
  { write: 'statement', exactlyOnce: true },
  { write: 'copy', exactlyOnce: true },
] as const;

/** An append sink of the contract's events into `name`, a table it makes. */
const appendSink = (name: string, write: 'statement' | 'copy', exactlyOnce: boolean) =>
  createPostgresSink({
    pool,
    table: name,
    topics: [contractTopic],
    ensureTable: true,
    mode: 'append',
    write,
    exactlyOnce: exactlyOnce ? { offsetsTable: `${name}_offsets` } : false,
  });

describe('the PostgreSQL sink in append mode', () => {
  for (const { write, exactlyOnce } of configurations) {
    const label = `${write}${exactlyOnce ? ', exactly once' : ''}`;

    it(`holds each event once, however batches are replayed and events sent again (${label}, a property)`, async () => {
      const name = tableName('pg_append');
      const sink = appendSink(name, write, exactlyOnce);
      await sink.init();
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), revision: fc.nat(9) }), {
                minLength: 1,
                maxLength: 12,
              }),
              { minLength: 1, maxLength: 5 },
            ),
            // After each batch: replay an earlier batch (as after a lost commit answer), and send
            // some earlier events again at new offsets (as a producer's retry does).
            fc.array(fc.record({ replay: fc.nat(), again: fc.array(fc.nat(), { maxLength: 3 }) }), {
              minLength: 5,
              maxLength: 5,
            }),
            async (batches, steps) => {
              await pool.query(`truncate ${name}`);
              if (exactlyOnce) await pool.query(`truncate ${name}_offsets`);
              const written: SinkBatch<ContractEvent>[] = [];
              const sent: ContractEvent[] = [];
              let next = 0;
              for (const [index, items] of batches.entries()) {
                const events = items.map(({ id, revision }) => eventOf(id, revision));
                const step = steps[index] as (typeof steps)[number];
                const again = step.again.flatMap((pick) =>
                  sent.length === 0 ? [] : [sent[pick % sent.length]],
                );
                const batch = batchOf([...events, ...(again as ContractEvent[])], next);
                next = Number(batch.nextOffset);
                sent.push(...events);
                written.push(batch);
                expect((await sink.write(batch, { signal })).rejected).toEqual([]);
                const replayed = written[step.replay % written.length] as SinkBatch<ContractEvent>;
                expect((await sink.write(replayed, { signal })).rejected).toEqual([]);
              }
              const { rows } = await pool.query(
                `select event_id, key, entity_version, value from ${name} order by event_id`,
              );
              expect(rows).toEqual(
                sent
                  .map((event) => ({
                    event_id: event.id,
                    key: event.data.id,
                    entity_version: String(event.data.revision),
                    value: event.data.value,
                  }))
                  .sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0)),
              );
            },
          ),
          { numRuns: 15 },
        );
      } finally {
        await sink.close();
        await pool.query(`drop table if exists ${name}, ${name}_offsets`);
      }
    }, 120_000);
  }

  for (const write of ['statement', 'copy'] as const) {
    it(`with exactly once, writes no row of a replayed batch at all: the offset skips it (${write})`, async () => {
      const name = tableName('pg_append');
      await pool.query(
        `create table ${name} (key text not null, entity_version bigint not null, event_id text not null unique, event_time timestamptz, deleted boolean not null default false, id text, revision bigint, value text)`,
      );
      for (const statement of attemptCounterStatements(name)) await pool.query(statement);
      const sink = createPostgresSink({
        pool,
        table: name,
        topics: [contractTopic],
        mode: 'append',
        write,
        exactlyOnce: { offsetsTable: `${name}_offsets` },
      });
      try {
        const first = batchOf([eventOf('a', 1), eventOf('b', 1), eventOf('a', 2)], 0);
        const second = batchOf([eventOf('b', 2), eventOf('c', 1)], 3);
        for (const batch of [first, first, second, first, second]) await sink.write(batch, { signal });
        const { rows } = await pool.query(
          `select key, entity_version, attempts from ${name}_attempts order by key, entity_version`,
        );
        // Each row proposed once: no replayed row reached the table, not even to be skipped there.
        expect(rows).toEqual([
          { key: 'a', entity_version: '1', attempts: 1 },
          { key: 'a', entity_version: '2', attempts: 1 },
          { key: 'b', entity_version: '1', attempts: 1 },
          { key: 'b', entity_version: '2', attempts: 1 },
          { key: 'c', entity_version: '1', attempts: 1 },
        ]);
      } finally {
        await sink.close();
        await pool.query(`${dropAttemptCounter(name)}; drop table if exists ${name}_offsets`);
      }
    });
  }

  for (const exactlyOnce of [false, true]) {
    it(`COPYs a batch of many chunks whole (${exactlyOnce ? 'straight into the table' : 'staged'})`, async () => {
      const name = tableName('pg_append');
      const sink = appendSink(name, 'copy', exactlyOnce);
      try {
        const events = Array.from({ length: copyChunkRows * 4 + 7 }, (_, index) =>
          eventOf(`k-${index % 13}`, index),
        );
        expect((await sink.write(batchOf(events, 0), { signal })).rejected).toEqual([]);
        const { rows } = await pool.query(`select event_id, key, value from ${name} order by entity_version`);
        expect(rows).toEqual(
          events.map((event) => ({ event_id: event.id, key: event.data.id, value: event.data.value })),
        );
      } finally {
        await sink.close();
        await pool.query(`drop table if exists ${name}, ${name}_offsets`);
      }
    });

    it(`rejects a refused row of a batch of many chunks alone (${exactlyOnce ? 'straight into the table' : 'staged'})`, async () => {
      const name = tableName('pg_append');
      const sink = appendSink(name, 'copy', exactlyOnce);
      try {
        await sink.init();
        await pool.query(`alter table ${name} add constraint value_allowed check (value <> 'k-3@3')`);
        const events = Array.from({ length: copyChunkRows * 8 }, (_, index) => eventOf(`k-${index}`, index));
        const result = await sink.write(batchOf(events, 0), { signal });
        expect(result.rejected?.map(({ index }) => index)).toEqual([3]);
        const { rows } = await pool.query(`select count(*)::int as count from ${name}`);
        expect(rows).toEqual([{ count: events.length - 1 }]);
        // The connection came back usable: the next batch lands.
        await sink.write(batchOf([eventOf('next', 1)], events.length), { signal });
        const after = await pool.query(`select count(*)::int as count from ${name}`);
        expect(after.rows).toEqual([{ count: events.length }]);
      } finally {
        await sink.close();
        await pool.query(`drop table if exists ${name}, ${name}_offsets`);
      }
    });
  }

  it('starts no write once the signal has fired', async () => {
    const name = tableName('pg_append');
    const sink = appendSink(name, 'copy', false);
    await sink.init();
    const aborted = new AbortController();
    aborted.abort();
    await expect(sink.write(batchOf([eventOf('a', 1)], 0), { signal: aborted.signal })).rejects.toMatchObject(
      {
        code: InletErrorCode.aborted,
      },
    );
    const { rows } = await pool.query(`select count(*)::int as count from ${name}`);
    expect(rows).toEqual([{ count: 0 }]);
    await sink.close();
    await pool.query(`drop table if exists ${name}`);
  });

  it('does not go row by row once the signal has fired while the batch failed', async () => {
    const name = tableName('pg_append');
    const stopping = new AbortController();
    let connections = 0;
    // The pool, seen by the sink: the batch's statement fails (a refused row), and the pipeline
    // stops meanwhile; the row-by-row retry would take a connection.
    const watched: PostgresSinkPool = {
      query: (text, values) =>
        pool.query(text, values).catch((error: unknown) => {
          stopping.abort();
          throw error;
        }),
      connect: () => {
        connections += 1;
        return pool.connect();
      },
    };
    const sink = createPostgresSink({
      pool: watched,
      table: name,
      topics: [contractTopic],
      ensureTable: true,
      mode: 'append',
    });
    await sink.init();
    await pool.query(`alter table ${name} add constraint value_allowed check (value <> 'b@1')`);
    await expect(
      sink.write(batchOf([eventOf('a', 1), eventOf('b', 1)], 0), { signal: stopping.signal }),
    ).rejects.toMatchObject({ code: InletErrorCode.aborted });
    expect(stopping.signal.aborted).toBe(true);
    expect(connections).toBe(0);
    const { rows } = await pool.query(`select count(*)::int as count from ${name}`);
    expect(rows).toEqual([{ count: 0 }]);
    await sink.close();
    await pool.query(`drop table if exists ${name}`);
  });
});
