import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { createEvent, defineEvent, defineTopic, InletError, jsonSchema, type TopicEvent } from '@inlet/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SinkBatch, SinkChange } from '../sink';
import { createDuckDbSink } from './duckdb-sink';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

const OrderPlaced = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      revision: { type: 'integer' },
      status: { type: 'string' },
      total: { type: 'number' },
      paid: { type: 'boolean' },
      placedAt: { type: 'string', format: 'date-time' },
      lines: { type: 'array', items: { type: 'string' } },
    },
    required: ['orderId', 'revision', 'status', 'total', 'paid', 'placedAt', 'lines'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
  entityVersion: (order) => order.revision,
});
const orders = defineTopic({ name: 'orders', events: [OrderPlaced] });
type OrderEvent = TopicEvent<typeof orders>;

let offset = 0;
function order(orderId: string, revision: number, status = 'placed'): SinkChange<OrderEvent> {
  const event = createEvent(
    OrderPlaced,
    {
      orderId,
      revision,
      status,
      total: revision * 2.5,
      paid: revision % 2 === 0,
      placedAt: '2026-03-01T10:00:00.000Z',
      lines: [`${orderId}-line`],
    },
    { source: 'urn:test' },
  ) as OrderEvent;
  return { kind: 'upsert', event, key: orderId, entityVersion: revision, offset: String(offset++) };
}
function cancel(orderId: string, revision: number): SinkChange<OrderEvent> {
  return {
    kind: 'delete',
    tombstone: {
      tombstone: true,
      id: `del-${orderId}-${revision}`,
      key: orderId,
      entityVersion: revision,
      eventTime: new Date(),
      headers: {},
    },
    key: orderId,
    entityVersion: revision,
    offset: String(offset++),
  };
}
function batch(changes: SinkChange<OrderEvent>[], partition = 0, groupId = 'g'): SinkBatch<OrderEvent> {
  return {
    groupId,
    topic: 'orders',
    partition,
    changes,
    nextOffset: String(Number(changes.at(-1)?.offset ?? 0) + 1),
  };
}
const signal = new AbortController().signal;

describe('DuckDB sink on a table of its own', () => {
  let directory: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'inlet-duckdb-sink-'));
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterEach(async () => {
    connection.closeSync();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  });
  const rows = async (sql: string, on = connection) => (await on.runAndReadAll(sql)).getRowObjectsJson();

  it('creates the derived table with ensureTable, typed from the schema, and lands values typed', async () => {
    const sink = createDuckDbSink({ connection, table: 'orders', topics: [orders], ensureTable: true });
    await sink.write(batch([order('o-1', 2)]), { signal });
    expect(
      await rows(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position`,
      ),
    ).toEqual([
      { column_name: 'key', data_type: 'VARCHAR' },
      { column_name: 'entity_version', data_type: 'BIGINT' },
      { column_name: 'event_id', data_type: 'VARCHAR' },
      { column_name: 'event_time', data_type: 'TIMESTAMP WITH TIME ZONE' },
      { column_name: 'deleted', data_type: 'BOOLEAN' },
      { column_name: 'order_id', data_type: 'VARCHAR' },
      { column_name: 'revision', data_type: 'BIGINT' },
      { column_name: 'status', data_type: 'VARCHAR' },
      { column_name: 'total', data_type: 'DOUBLE' },
      { column_name: 'paid', data_type: 'BOOLEAN' },
      { column_name: 'placed_at', data_type: 'TIMESTAMP WITH TIME ZONE' },
      { column_name: 'lines', data_type: 'JSON' },
    ]);
    expect(
      await rows(
        `SELECT key, entity_version, deleted, order_id, total, paid, epoch_ms(placed_at) AS placed, lines->>0 AS line, event_time = placed_at AS same FROM orders`,
      ),
    ).toEqual([
      {
        key: 'o-1',
        entity_version: '2',
        deleted: false,
        order_id: 'o-1',
        total: 5,
        paid: true,
        placed: String(Date.parse('2026-03-01T10:00:00Z')),
        line: 'o-1-line',
        same: true,
      },
    ]);
    await sink.close();
  });

  it('never alters an existing table, and says which columns it lacks', async () => {
    await connection.run(
      'CREATE TABLE orders (key VARCHAR PRIMARY KEY, entity_version BIGINT, deleted BOOLEAN, status VARCHAR)',
    );
    const sink = createDuckDbSink({ connection, table: 'orders', topics: [orders], ensureTable: true });
    const failure = await sink.write(batch([order('o-1', 1)]), { signal }).catch((error: unknown) => error);
    expect(InletError.hasCode(failure, DuckDbSinkErrorCode.tableMismatch)).toBe(true);
    expect((failure as InletError).retryable).toBe(false);
    expect((failure as Error).message).toMatch(
      /has no column "order_id", "revision", "total", "paid", "placed_at", "lines"/,
    );
    expect(
      await rows(`SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'orders'`),
    ).toEqual([{ n: '4' }]);
    await sink.close();
  });

  it('refuses a missing table, and upserts into a table without a unique key', async () => {
    const missing = createDuckDbSink({ connection, table: 'nowhere', topics: [orders] });
    await expect(missing.write(batch([order('o-1', 1)]), { signal })).rejects.toThrow(
      /nowhere: does not exist/,
    );
    await connection.run(
      'CREATE TABLE loose (key VARCHAR, entity_version BIGINT, deleted BOOLEAN, status VARCHAR)',
    );
    const loose = createDuckDbSink({
      connection,
      table: 'loose',
      topics: [orders],
      columns: (event) => ({ status: event.data.status }),
    });
    await expect(loose.write(batch([order('o-1', 1)]), { signal })).rejects.toThrow(
      /needs "key" to be its PRIMARY KEY or UNIQUE/,
    );
  });

  it('writes the columns a mapping gives, into a schema-qualified table with other key and version columns', async () => {
    await connection.run(`CREATE SCHEMA shop; CREATE TABLE shop.order_status (
      order_ref VARCHAR PRIMARY KEY, rev BIGINT, deleted BOOLEAN, status VARCHAR, total_cents BIGINT, note VARCHAR)`);
    const sink = createDuckDbSink({
      connection,
      table: 'shop.order_status',
      topics: [orders],
      keyColumn: 'order_ref',
      versionColumn: 'rev',
      columns: (event) => ({
        status: event.data.status.toUpperCase(),
        total_cents: Math.round(event.data.total * 100),
      }),
    });
    await sink.write(batch([order('o-1', 1), order('o-2', 3), order('o-1', 2, 'paid')]), { signal });
    await sink.write(batch([cancel('o-2', 4), order('o-1', 1, 'stale')]), { signal });
    expect(await rows('SELECT * FROM shop.order_status ORDER BY order_ref')).toEqual([
      { order_ref: 'o-1', rev: '2', deleted: false, status: 'PAID', total_cents: '500', note: null },
      // Marked deleted, its last data and its version kept.
      { order_ref: 'o-2', rev: '4', deleted: true, status: 'PLACED', total_cents: '750', note: null },
    ]);
    await sink.close();
  });

  it('writes bytes, dates and lists a mapping gives into BLOB, DATE and list columns', async () => {
    await connection.run(
      'CREATE TABLE extras (key VARCHAR PRIMARY KEY, entity_version BIGINT, deleted BOOLEAN, raw BLOB, day DATE, tags VARCHAR[])',
    );
    const sink = createDuckDbSink({
      connection,
      table: 'extras',
      topics: [orders],
      columns: (event) => ({
        raw: new Uint8Array([1, 2, event.data.revision]),
        day: '2026-03-01',
        tags: event.data.lines,
      }),
    });
    await sink.write(batch([order('o-1', 7)]), { signal });
    expect(await rows(`SELECT hex(raw) AS raw, day::VARCHAR AS day, tags FROM extras`)).toEqual([
      { raw: '010207', day: '2026-03-01', tags: ['o-1-line'] },
    ]);
    await sink.close();
  });

  it('rejects a value its column cannot hold, with the reason, and lands the rest', async () => {
    await connection.run(
      'CREATE TABLE totals (key VARCHAR PRIMARY KEY, entity_version BIGINT, deleted BOOLEAN, total BIGINT NOT NULL)',
    );
    const sink = createDuckDbSink({
      connection,
      table: 'totals',
      topics: [orders],
      columns: (event) => ({
        total:
          event.data.orderId === 'o-bad'
            ? 'lots'
            : event.data.orderId === 'o-null'
              ? null
              : event.data.revision,
      }),
    });
    const result = await sink.write(
      batch([order('o-1', 1), order('o-bad', 1), order('o-null', 1), order('o-2', 1)]),
      { signal },
    );
    expect(result?.rejected?.map(({ index }) => index)).toEqual([1, 2]);
    expect(String(result?.rejected?.[0]?.error)).toMatch(
      /column "total" \(BIGINT\) cannot hold string "lots"/,
    );
    expect(String(result?.rejected?.[1]?.error)).toMatch(/NOT NULL constraint failed: totals.total/);
    expect(
      result?.rejected?.every(({ error }) => InletError.hasCode(error, DuckDbSinkErrorCode.rowRejected)),
    ).toBe(true);
    expect(await rows('SELECT key FROM totals ORDER BY key')).toEqual([{ key: 'o-1' }, { key: 'o-2' }]);
    await sink.close();
  });

  it('removes deleted rows with deletes: remove, keeping their version against older updates', async () => {
    const sink = createDuckDbSink({
      connection,
      table: 'orders',
      topics: [orders],
      ensureTable: true,
      deletes: 'remove',
    });
    await sink.write(batch([order('o-1', 1), order('o-2', 1)]), { signal });
    await sink.write(batch([cancel('o-1', 5)]), { signal });
    await sink.write(batch([order('o-1', 4, 'late')]), { signal });
    expect(await rows('SELECT key FROM orders ORDER BY key')).toEqual([{ key: 'o-2' }]);
    await sink.write(batch([order('o-1', 6, 'again')]), { signal });
    expect(await rows('SELECT key, status FROM orders ORDER BY key')).toEqual([
      { key: 'o-1', status: 'again' },
      { key: 'o-2', status: 'placed' },
    ]);
    expect(
      await rows(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'deleted'`,
      ),
    ).toEqual([]);
    await sink.close();
  });

  it('takes turns on one connection when partitions write at once', async () => {
    const sink = createDuckDbSink({
      connection,
      table: 'orders',
      topics: [orders],
      ensureTable: true,
      mode: 'append',
    });
    const writes = Array.from({ length: 6 }, (_, partition) =>
      sink.write(
        batch(
          Array.from({ length: 50 }, (_, index) => order(`p${partition}-${index}`, 1)),
          partition,
        ),
        { signal },
      ),
    );
    await Promise.all(writes);
    expect(await rows('SELECT count(*) AS n, count(DISTINCT key) AS k FROM orders')).toEqual([
      { n: '300', k: '300' },
    ]);
    expect(await rows('SELECT count(*) AS n FROM inlet_sink_offsets')).toEqual([{ n: '6' }]);
    await sink.close();
  });

  it('resumes append mode from the offsets it stored with its rows (exactly once)', async () => {
    const first = createDuckDbSink({
      connection,
      table: 'events',
      topics: [orders],
      ensureTable: true,
      mode: 'append',
    });
    const changes = [order('o-1', 1), order('o-1', 2), order('o-2', 1)];
    const written = batch(changes, 3);
    await first.write(written, { signal });
    await first.close();
    const second = createDuckDbSink({ connection, table: 'events', topics: [orders], mode: 'append' });
    expect(
      await second.storedOffsets?.('g', [
        { topic: 'orders', partition: 3 },
        { topic: 'orders', partition: 4 },
      ]),
    ).toEqual([{ topic: 'orders', partition: 3, offset: written.nextOffset }]);
    expect(await second.storedOffsets?.('other-group', [{ topic: 'orders', partition: 3 }])).toEqual([]);
    // A replay overlapping what landed: only the new change is appended.
    await second.write(batch([...changes.slice(1), order('o-3', 1)], 3), { signal });
    expect(await rows('SELECT key, entity_version FROM events ORDER BY rowid')).toEqual([
      { key: 'o-1', entity_version: '1' },
      { key: 'o-1', entity_version: '2' },
      { key: 'o-2', entity_version: '1' },
      { key: 'o-3', entity_version: '1' },
    ]);
    await second.close();
  });

  it('appends a replay once after a crash, though its stored offsets lag the rows (append mode)', async () => {
    const crashed = createDuckDbSink({
      connection,
      table: 'events',
      topics: [orders],
      ensureTable: true,
      mode: 'append',
    });
    const changes = Array.from({ length: 30 }, (_, index) => order(`o-${index % 7}`, index));
    for (let start = 0; start < 30; start += 10)
      await crashed.write(batch(changes.slice(start, start + 10)), { signal });
    // The crashed sink is never closed: its offsets were last stored before these rows landed.
    const stored = await rows(`SELECT next_offset FROM inlet_sink_offsets WHERE table_name = 'events'`);
    expect(Number(stored[0]?.next_offset)).toBeLessThan(Number(changes[29]?.offset) + 1);
    const resumed = createDuckDbSink({ connection, table: 'events', topics: [orders], mode: 'append' });
    const [from] = (await resumed.storedOffsets?.('g', [{ topic: 'orders', partition: 0 }])) ?? [];
    // The pipeline replays from there, cut into other batches, and goes on with new changes.
    const replay = changes.filter((change) => BigInt(change.offset) >= BigInt(from?.offset ?? '0'));
    const more = Array.from({ length: 5 }, (_, index) => order(`o-new-${index}`, 100 + index));
    const all = [...replay, ...more];
    for (let start = 0; start < all.length; start += 4)
      await resumed.write(batch(all.slice(start, start + 4)), { signal });
    expect(await rows('SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events')).toEqual([
      { n: '35', ids: '35' },
    ]);
    await resumed.close();
    expect(await rows(`SELECT next_offset FROM inlet_sink_offsets WHERE table_name = 'events'`)).toEqual([
      { next_offset: String(Number(more[4]?.offset) + 1) },
    ]);
    await crashed.close();
  });

  it('stores offsets with every batch when the table has no event id to tell what landed', async () => {
    await connection.run('CREATE TABLE statuses (key VARCHAR, entity_version BIGINT, status VARCHAR)');
    const first = createDuckDbSink({
      connection,
      table: 'statuses',
      topics: [orders],
      mode: 'append',
      columns: (event) => ({ status: event.data.status }),
    });
    const written = batch([order('o-1', 1), order('o-2', 1)]);
    await first.write(written, { signal });
    expect(await rows(`SELECT next_offset FROM inlet_sink_offsets WHERE table_name = 'statuses'`)).toEqual([
      { next_offset: written.nextOffset },
    ]);
    const second = createDuckDbSink({
      connection,
      table: 'statuses',
      topics: [orders],
      mode: 'append',
      columns: (event) => ({ status: event.data.status }),
    });
    await second.write(written, { signal });
    expect(await rows('SELECT count(*) AS n FROM statuses')).toEqual([{ n: '2' }]);
    await first.close();
    await second.close();
  });

  it('opens and closes a database of its own: in memory, and a file that keeps the rows', async () => {
    const inMemory = createDuckDbSink({
      database: ':memory:',
      table: 'orders',
      topics: [orders],
      ensureTable: true,
    });
    await inMemory.write(batch([order('o-1', 1)]), { signal });
    await inMemory.close();
    await expect(inMemory.write(batch([order('o-2', 1)]), { signal })).rejects.toSatisfy((error) =>
      InletError.hasCode(error, 'INLET_CLOSED'),
    );
    const file = join(directory, 'orders.duckdb');
    const onFile = createDuckDbSink({ database: file, table: 'orders', topics: [orders], ensureTable: true });
    await onFile.write(batch([order('o-1', 1), order('o-2', 2)]), { signal });
    await onFile.close();
    await onFile.close();
    const reopened = await DuckDBInstance.create(file);
    const reader = await reopened.connect();
    expect(await rows('SELECT key, entity_version FROM orders ORDER BY key', reader)).toEqual([
      { key: 'o-1', entity_version: '1' },
      { key: 'o-2', entity_version: '2' },
    ]);
    reader.closeSync();
    reopened.closeSync();
  });

  it('fails retryably while another process holds the database file, and writes once it is free', async () => {
    const file = join(directory, 'locked.duckdb');
    // Another process opens the file (DuckDB takes an exclusive lock on it) and holds it until told.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const instance = await DuckDBInstance.create(${JSON.stringify(file)});
         process.stdout.write('locked\\n');
         process.stdin.once('data', () => { instance.closeSync(); process.exit(0); });`,
      ],
      { cwd: join(import.meta.dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await once(holder.stdout, 'data');
    const sink = createDuckDbSink({ database: file, table: 'orders', topics: [orders], ensureTable: true });
    const failure = await sink.write(batch([order('o-1', 1)]), { signal }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: DuckDbSinkErrorCode.unavailable, retryable: true });
    expect((failure as Error).message).toMatch(/lock/i);
    holder.stdin.write('free\n');
    await once(holder, 'exit');
    await sink.write(batch([order('o-1', 1)]), { signal });
    await sink.close();
  });

  it('ends at the newest state per key: a batch twice, reversed, older after newer (property)', async () => {
    let run = 0;
    const change = fc.record({
      id: fc.integer({ min: 0, max: 9 }).map((n) => `o-${n}`),
      revision: fc.integer({ min: 1, max: 40 }),
      delete: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(change, {
          minLength: 1,
          maxLength: 60,
          selector: ({ id, revision }) => `${id}@${revision}`,
        }),
        fc.constantFrom('mark' as const, 'remove' as const),
        async (changes, deletes) => {
          // A table per run: the removed keys' versions are kept by table name.
          run += 1;
          const table = `orders_${run}`;
          const sink = createDuckDbSink({ connection, table, topics: [orders], ensureTable: true, deletes });
          const made = changes.map(({ id, revision, delete: deleted }) =>
            deleted ? cancel(id, revision) : order(id, revision),
          );
          const half = Math.ceil(made.length / 2);
          // The newer half first, then the older half, then everything reversed, then all again.
          for (const part of [made.slice(half), made.slice(0, half), [...made].reverse(), made, made])
            if (part.length > 0) await sink.write(batch(part), { signal });
          await sink.close();
          const newest = new Map<string, { revision: number; deleted: boolean }>();
          for (const { id, revision, delete: deleted } of changes) {
            const current = newest.get(id);
            if (current === undefined || revision > current.revision) newest.set(id, { revision, deleted });
          }
          const expected = [...newest]
            .filter(([, state]) => !state.deleted)
            .map(([id, { revision }]) => ({ key: id, entity_version: String(revision) }))
            .sort((a, b) => a.key.localeCompare(b.key));
          const alive = deletes === 'mark' ? 'WHERE NOT deleted' : '';
          expect(await rows(`SELECT key, entity_version FROM ${table} ${alive} ORDER BY key`)).toEqual(
            expected,
          );
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
