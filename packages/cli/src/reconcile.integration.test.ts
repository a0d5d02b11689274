import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { defineTopic, ensureTopics } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { createConfluentRegistry, createSchemaResolver } from '@inlet/schema';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadingTaken } from './e2e-avro.fixture';
import { OrderUpdated } from './reconcile.fixture';
import { runInlet } from './run-inlet.test-support';

// `inlet reconcile` end to end through the real entry point, run from source (src/cli-main.ts
// with tsx and the @inlet/source condition), against the real PostgreSQL, Redis, Kafka (with its
// schema registry) and DuckDB (a temporary file).

const environment = testEnvironment();
const { databaseUrl, redisUrl, schemaRegistryUrl } = environment;
const kafkaBrokers = environment.kafkaBrokers.join(',');
const ordersFixture = fileURLToPath(new URL('./reconcile.fixture.ts', import.meta.url));
const avroFixture = fileURLToPath(new URL('./e2e-avro.fixture.ts', import.meta.url));

const inlet = runInlet;

const rowCount = 1_000;
const tableName = () =>
  uniqueName('cli_reconcile')
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase();

let pool: pg.Pool;
let redis: Redis;
const tables: string[] = [];
const prefixes: string[] = [];
const topics: string[] = [];
const transport = createKafkaJsTransport({ brokers: kafkaBrokers.split(',') });
const tempDir = mkdtempSync(join(tmpdir(), 'inlet-cli-reconcile-'));

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
  if (topics.length > 0)
    await transport
      .admin()
      .deleteTopics(topics)
      .catch(() => {});
  await transport.close();
  rmSync(tempDir, { recursive: true, force: true });
});

interface Order {
  orderId: string;
  status: string;
  qty: number;
  revision: number;
  at: string;
}

const order = (i: number, revision: number): Order => ({
  orderId: `order-${i}`,
  status: revision === 1 ? 'placed' : 'shipped',
  qty: (i % 50) + revision,
  revision,
  at: new Date(Date.UTC(2026, 0, 1) + i * 1000 + revision).toISOString(),
});

const topicOrderCount = 300;
const tombstoned = ['order-7', 'order-77', 'order-177'];

/**
 * A topic of orders: every order, a second revision of every 10th, the first revision of every
 * 20th again (late and older: it must not win), then tombstones. Returns its final state.
 */
async function produceOrders(topicName: string): Promise<Map<string, Order>> {
  const topic = defineTopic({ name: topicName, events: [OrderUpdated], partitions: 3 });
  topics.push(topicName);
  await ensureTopics(transport, [topic]);
  const producer = createProducer({ transport, source: 'urn:test:cli-reconcile' });
  try {
    const waves = [
      Array.from({ length: topicOrderCount }, (_, i) => order(i, 1)),
      Array.from({ length: topicOrderCount / 10 }, (_, i) => order(i * 10, 2)),
      Array.from({ length: topicOrderCount / 20 }, (_, i) => order(i * 20, 1)),
    ];
    for (const wave of waves)
      await producer.sendBatch(
        topic,
        wave.map((data) => ({ type: 'order.updated' as const, data })),
      );
    for (const key of tombstoned) await producer.sendTombstone(topic, key, { entityVersion: 3 });
  } finally {
    await producer.close();
  }
  const state = new Map<string, Order>();
  for (let i = 0; i < topicOrderCount; i += 1)
    if (!tombstoned.includes(`order-${i}`)) state.set(`order-${i}`, order(i, i % 10 === 0 ? 2 : 1));
  return state;
}

/** A DuckDB database file at a fresh path, set up by `setup` and closed (unlocked) after. */
async function duckDbFile(setup: (run: (sql: string) => Promise<unknown>) => Promise<void>, file?: string) {
  const path = file ?? join(tempDir, `${tableName()}.duckdb`);
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await setup((sql) => connection.run(sql));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return path;
}

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
    expect(run.stderr).toContain('reconcile (summarising): 2/2');
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
  it('topic -> PostgreSQL: folds the topic and finds exactly the deleted, changed and extra row: exit 1', async () => {
    const topic = uniqueName('cli-reconcile-orders');
    const state = await produceOrders(topic);
    const table = tableName();
    tables.push(table);
    // Landed as the PostgreSQL sink lands them (derived columns, deletes marked), then tampered.
    await pool.query(`create table ${table} (key text primary key, order_id text, status text, qty bigint,
      revision bigint, at text, entity_version bigint, deleted boolean not null default false)`);
    const rows = [...state.values()];
    await pool.query(
      `insert into ${table} (key, order_id, status, qty, revision, at, entity_version)
       select k, k, s, q, r, a, r from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])
         as u(k, s, q, r, a)`,
      [
        rows.map((o) => o.orderId),
        rows.map((o) => o.status),
        rows.map((o) => o.qty),
        rows.map((o) => o.revision),
        rows.map((o) => o.at),
      ],
    );
    await pool.query(
      `insert into ${table} (key, deleted, entity_version) select unnest($1::text[]), true, 3`,
      [tombstoned],
    );
    await pool.query(`delete from ${table} where key = 'order-50'`);
    await pool.query(`update ${table} set status = 'lost' where key = 'order-60'`);
    await pool.query(
      `insert into ${table} (key, order_id, status) values ('order-extra', 'order-extra', 'placed')`,
    );
    const args = [
      'reconcile',
      '--source-topic',
      topic,
      '--definitions',
      ordersFixture,
      '--sink-table',
      table,
    ];
    const env = { INLET_RECONCILE_TOPIC: topic };
    const run = await inlet([...args, '--json', '--progress'], env);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      source: `topic:${topic}`,
      sink: expect.stringContaining(table),
      buckets: { total: expect.any(Number), differing: expect.any(Number) },
      rows: { source: state.size, sink: state.size },
      missing: ['order-50'],
      extra: ['order-extra'],
      changed: ['order-60'],
      totals: { missing: 1, extra: 1, changed: 1 },
      truncated: false,
      columns: ['at', 'order_id', 'qty', 'revision', 'status'],
      matched: false,
      tookMs: expect.any(Number),
    });
    // Reading the topic shows its offsets, then the comparison its steps.
    expect(run.stderr).toMatch(/reconcile \(reading\): (\d+)\/\1\n/);
    expect(run.stderr).toContain('reconcile (summarising): 2/2');
    const human = await inlet(args, env);
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toContain(`topic:${topic} -> `);
    expect(human.stdout).toContain('missing: order-50');
    expect(human.stdout).toContain('extra: order-extra');
    expect(human.stdout).toContain('changed: order-60');
  });

  it('topic (Avro, registry-framed) -> PostgreSQL: decodes with the registry, exit 0', async () => {
    const topic = uniqueName('cli-reconcile-avro');
    topics.push(topic);
    const definition = defineTopic({ name: topic, events: [ReadingTaken] });
    await ensureTopics(transport, [definition]);
    const registry = createConfluentRegistry({ url: schemaRegistryUrl });
    const producer = createProducer({ transport, registry: createSchemaResolver({ registry }) });
    const at = '2026-03-01T12:00:00.000Z';
    try {
      for (const [sensorId, celsius] of [
        ['s1', 21.5],
        ['s2', -3],
      ] as const)
        await producer.send(definition, { type: 'reading.taken', data: { sensorId, celsius, at } });
    } finally {
      await producer.close();
      await registry.close();
    }
    const table = tableName();
    tables.push(table);
    await pool.query(`create table ${table} (key text primary key, sensor_id text, celsius float8, at text)`);
    await pool.query(`insert into ${table} values ('s1', 's1', 21.5, '${at}'), ('s2', 's2', -3, '${at}')`);
    const args = ['reconcile', '--source-topic', topic, '--definitions', avroFixture, '--sink-table', table];
    const run = await inlet([...args, '--json'], { INLET_E2E_TOPIC: topic });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ matched: true, rows: { source: 2, sink: 2 } });
    // Without a registry the framed values cannot be decoded: could not run.
    const unframed = await inlet(args, { INLET_E2E_TOPIC: topic, SCHEMA_REGISTRY_URL: '' });
    expect(unframed.code).toBe(3);
    expect(unframed.stderr).toContain('INLET_RECONCILE_UNDECODABLE_RECORD');
  });

  it('PostgreSQL -> DuckDB: exit 0 when equal, then 1 naming the changed key', async () => {
    const source = await createOrders();
    const setup = (run: (sql: string) => Promise<unknown>) =>
      run(`create table orders as select 'order-' || n as id, 'name ' || n as name, (n * 3)::integer as amount
           from range(1, ${rowCount + 1}) t(n)`).then(() => undefined);
    const file = await duckDbFile(setup);
    const args = [
      'reconcile',
      '--source-table',
      source,
      '--key',
      'id',
      '--sink-duckdb',
      file,
      '--sink-table',
      'orders',
      '--sink-key',
      'id',
    ];
    const equal = await inlet([...args, '--json', '--progress']);
    expect(equal.code, equal.stderr).toBe(0);
    expect(JSON.parse(equal.stdout)).toMatchObject({
      sink: 'duckdb:orders',
      matched: true,
      missing: [],
      extra: [],
      changed: [],
      rows: { source: rowCount, sink: rowCount },
      columns: ['amount', 'name'],
    });
    expect(equal.stderr).toContain('reconcile (summarising): 2/2');
    await duckDbFile(async (run) => {
      await run(`update orders set amount = 0 where id = 'order-7'`);
    }, file);
    const changed = await inlet([...args, '--json']);
    expect(changed.code, changed.stderr).toBe(1);
    expect(JSON.parse(changed.stdout)).toMatchObject({
      matched: false,
      missing: [],
      extra: [],
      changed: ['order-7'],
      totals: { missing: 0, extra: 0, changed: 1 },
    });
    const missingTable = await inlet([...args.slice(0, -4), '--sink-table', 'nope']);
    expect(missingTable.code).toBe(3);
    expect(missingTable.stderr).toContain('INLET_RECONCILE_MISSING_TABLE');
    const missingFile = await inlet([
      ...args.slice(0, 5),
      '--sink-duckdb',
      join(tempDir, 'absent.duckdb'),
      '--sink-table',
      'orders',
    ]);
    expect(missingFile.code).toBe(3);
    expect(missingFile.stderr).toContain('cannot open the DuckDB file');
  });

  it('exits 2 naming the flag on conflicting or incomplete sources and sinks', async () => {
    const cases: [readonly string[], string][] = [
      [
        ['--source-table', 's', '--key', 'id', '--source-topic', 't', '--sink-table', 'x'],
        'give one source: --source-table or --source-topic, not both',
      ],
      [['--source-topic', 't', '--sink-table', 'x'], '--source-topic needs --definitions <module>'],
      [
        ['--source-topic', 't', '--definitions', ordersFixture, '--key', 'id', '--sink-table', 'x'],
        '--key applies to --source-table only',
      ],
      [
        ['--source-table', 's', '--key', 'id', '--definitions', ordersFixture, '--sink-table', 'x'],
        '--definitions applies to --source-topic only',
      ],
      [
        ['--source-table', 's', '--key', 'id', '--sink-duckdb', 'f.duckdb', '--sink-redis-prefix', 'p:'],
        'give one sink: --sink-duckdb or --sink-redis-prefix, not both',
      ],
      [
        ['--source-table', 's', '--key', 'id', '--sink-duckdb', 'f.duckdb'],
        '--sink-duckdb needs --sink-table',
      ],
      [
        ['--sink-table', 'x'],
        'give the source: --source-table <table> --key <column> or --source-topic <topic>',
      ],
      [
        [
          '--source-topic',
          't',
          '--definitions',
          ordersFixture,
          '--sink-duckdb',
          'f.duckdb',
          '--sink-table',
          'x',
          '--database-url',
          databaseUrl,
        ],
        '--database-url applies to --source-table or a PostgreSQL --sink-table only',
      ],
    ];
    for (const [args, message] of cases) {
      const run = await inlet(['reconcile', ...args]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`inlet reconcile: ${message}`);
    }
    const noBrokers = await inlet(
      ['reconcile', '--source-topic', 't', '--definitions', ordersFixture, '--sink-table', 'x'],
      { KAFKA_BROKERS: '' },
    );
    expect(noBrokers.code).toBe(2);
    expect(noBrokers.stderr).toContain('no Kafka brokers');
    const unknownTopic = await inlet([
      'reconcile',
      '--source-topic',
      'not-defined',
      '--definitions',
      ordersFixture,
      '--sink-table',
      'x',
    ]);
    expect(unknownTopic.code).toBe(2);
    expect(unknownTopic.stderr).toContain('--definitions: no topic definition named "not-defined"');
  });
});
