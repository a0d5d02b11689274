import { DeadLetterHeader } from '@inlet/consumer';
import { defineEvent, defineTopic, type IncomingRecord, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../pipeline';
import { createPostgresSink } from './postgres-sink';
import {
  attemptCounterStatements,
  dropAttemptCounter,
  meterRound,
  meterTopic,
} from './postgres-sink.test-support';
import { tableName } from './table-name.test-support';

// The PostgreSQL sink behind a pipeline on the real broker: refused rows dead-lettered with the
// database's reason while the rest lands, and a rebalance that writes every change once.

const environment = testEnvironment();
let transport: KafkaTransport;
let pool: pg.Pool;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'pg-sink-pipeline' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 8 });
});
afterAll(async () => {
  await transport.close();
  await pool.end();
});

// The quick start's order, as the root README defines it.
const QuickStartOrder = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      status: { type: 'string' },
      revision: { type: 'integer' },
      at: { type: 'string' },
    },
    required: ['orderId', 'status', 'revision', 'at'],
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});

async function readAll(topic: string, count: number): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = [];
  const reader = transport.consumer({ groupId: uniqueName('pg-dlq-reader') });
  try {
    await reader.subscribe([topic]);
    await reader.run({ onBatch: async (batch) => void records.push(...batch.records) });
    await eventually(() => (records.length >= count ? true : undefined), {
      timeoutMs: 30_000,
      what: `${count} records on ${topic}`,
    });
  } finally {
    await reader.close();
  }
  return records;
}

describe('the PostgreSQL sink in a pipeline', () => {
  it('lands three revisions of an order as one row at the last, in a table it made (the quick start)', async () => {
    const topic = defineTopic({ name: uniqueName('pg-qs-orders'), events: [QuickStartOrder], partitions: 2 });
    await transport.admin().createTopics([{ topic: topic.name, partitions: 2 }]);
    const producer = createProducer({ transport });
    for (const [revision, status] of ['placed', 'packed', 'shipped'].entries())
      await producer.send(topic, {
        type: 'order.updated',
        data: { orderId: 'o-1', status, revision, at: new Date().toISOString() },
      });
    await producer.close();
    const table = tableName('orders');
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('pg-qs-group'),
      topics: [topic],
      sink: createPostgresSink({ pool, table, topics: [topic], ensureTable: true }),
    });
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
    } finally {
      await pipeline.close();
    }
    const { rows } = await pool.query(`select key, status, entity_version from ${table}`);
    expect(rows).toEqual([{ key: 'o-1', status: 'shipped', entity_version: '2' }]);
    await pool.query(`drop table ${table}`);
  }, 90_000);

  it('dead-letters the rows a CHECK constraint refuses, with the reason, and lands every other', async () => {
    const meters = meterTopic(uniqueName('pg-meters'));
    const deadLetters = `${meters.name}.dlq`;
    await transport.admin().createTopics([
      { topic: meters.name, partitions: 3 },
      { topic: deadLetters, partitions: 1 },
    ]);
    const table = tableName('pg_meters');
    const sink = createPostgresSink({ pool, table, topics: [meters], ensureTable: true });
    await sink.init();
    await pool.query(`alter table ${table} add constraint no_bad_values check (value not like 'bad%')`);
    const producer = createProducer({ transport });
    const good = Array.from({ length: 300 }, (_, meter) => ({
      type: 'meter.reading' as const,
      data: { meter: `m-${meter}`, seq: meter % 7, value: `ok-${meter}` },
    }));
    const bad = Array.from({ length: 12 }, (_, meter) => ({
      type: 'meter.reading' as const,
      data: { meter: `bad-${meter}`, seq: 1, value: `bad-${meter}` },
    }));
    const mixed = [...good.slice(0, 150), ...bad, ...good.slice(150)];
    const sent = await producer.sendBatch(meters, mixed);
    await producer.close();
    const badIds = new Set(sent.slice(150, 162).map((result) => result.id));
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('pg-meters-group'),
      topics: [meters],
      sink,
      batching: { maxBatch: 100, lingerMs: 10 },
    });
    try {
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      expect(pipeline.stats()).toMatchObject({ written: 300, rejected: 12 });
    } finally {
      await pipeline.close();
    }
    const { rows } = await pool.query(`select key, value, entity_version from ${table} order by key`);
    expect(rows).toHaveLength(300);
    expect(rows.every((row) => String(row.value).startsWith('ok-'))).toBe(true);
    const letters = await readAll(deadLetters, 12);
    expect(new Set(letters.map((letter) => letter.headers.ce_id?.toString()))).toEqual(badIds);
    for (const letter of letters) {
      expect(letter.headers[DeadLetterHeader.errorCode]?.toString()).toBe('INLET_POSTGRES_SINK_ROW_REFUSED');
      expect(letter.headers[DeadLetterHeader.errorMessage]?.toString()).toMatch(
        /violates check constraint "no_bad_values".*SQLSTATE 23514/,
      );
    }
    await pool.query(`drop table if exists ${table}`);
  }, 120_000);

  it('writes each change once through a rebalance (a second instance joins, then leaves), exactly once', async () => {
    const meters = meterTopic(uniqueName('pg-rebalance'), 4);
    await transport.admin().createTopics([{ topic: meters.name, partitions: 4 }]);
    const table = tableName('pg_rebalance');
    const offsetsTable = `${table}_offsets`;
    const sinkOf = () =>
      createPostgresSink({
        pool,
        table,
        topics: [meters],
        ensureTable: true,
        exactlyOnce: { offsetsTable },
      });
    await sinkOf().init();
    for (const statement of attemptCounterStatements(table)) await pool.query(statement);
    const groupId = uniqueName('pg-rebalance-group');
    const make = () =>
      createPipeline({
        transport,
        groupId,
        topics: [meters],
        sink: sinkOf(),
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        batching: { maxBatch: 50, lingerMs: 10 },
      });
    const producer = createProducer({ transport });
    const sendRound = (round: number) => producer.sendBatch(meters, meterRound(200, round));
    const atRound = async (round: number) => {
      const { rows } = await pool.query(`select count(*)::int as n from ${table} where entity_version = $1`, [
        round,
      ]);
      return rows[0].n === 200 ? true : undefined;
    };
    const first = make();
    const second = make();
    try {
      await first.start();
      for (let round = 0; round < 5; round += 1) await sendRound(round);
      await eventually(() => (first.stats().written > 0 ? true : undefined), { what: 'the first writing' });
      await second.start();
      await eventually(
        () =>
          Object.keys(second.stats().uncommitted).length > 0 &&
          Object.keys(first.stats().uncommitted).length < 4
            ? true
            : undefined,
        { timeoutMs: 60_000, what: 'the rebalance' },
      );
      for (let round = 5; round < 10; round += 1) await sendRound(round);
      await eventually(() => atRound(9), { timeoutMs: 60_000, what: 'every meter at round 9' });
      expect(second.stats().written).toBeGreaterThan(0);
      await second.close();
      for (let round = 10; round < 12; round += 1) await sendRound(round);
      await eventually(() => atRound(11), { timeoutMs: 60_000, what: 'every meter at round 11' });
    } finally {
      await producer.close();
      await second.close();
      await first.close();
    }
    const { rows } = await pool.query(`select key, value, entity_version from ${table}`);
    expect(rows).toHaveLength(200);
    expect(
      rows.every((row) => row.entity_version === '11' && row.value === `${String(row.key).slice(2)}@11`),
    ).toBe(true);
    const attempts = await pool.query(
      `select count(*)::int as changes, max(attempts) as most, sum(attempts)::int as total from ${table}_attempts`,
    );
    // Every proposed change was proposed once (batches collapse a key's changes, so not all are).
    expect(attempts.rows[0]).toMatchObject({ most: 1 });
    expect(attempts.rows[0].changes).toBeGreaterThanOrEqual(200 * 3);
    await pool.query(dropAttemptCounter(table));
    await pool.query(`drop table if exists ${offsetsTable}`);
  }, 180_000);
});
