import { defineEvent, defineTopic, ensureTopics, jsonSchema } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableName } from './orders.test-support';
import { postgresTableSink } from './postgres-table';
import { reconcile } from './reconcile';
import { topicSource } from './topic-source';

const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      status: { type: 'string' },
      qty: { type: 'integer' },
      price: { type: 'number' },
      revision: { type: 'integer' },
      at: { type: 'string', format: 'date-time' },
    },
    required: ['orderId', 'status', 'qty', 'price', 'revision', 'at'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});

const eventCount = 100_000;
const environment = testEnvironment();
const topic = defineTopic({ name: uniqueName('reconcile-orders'), events: [OrderUpdated], partitions: 3 });
const transport = createKafkaJsTransport({ brokers: [...environment.kafkaBrokers] });
const table = tableName('rec_topic');
let pool: pg.Pool;

interface Order {
  orderId: string;
  status: string;
  qty: number;
  price: number;
  revision: number;
  at: string;
}

const order = (i: number, revision: number): Order => ({
  orderId: `order-${i}`,
  status: revision === 1 ? 'placed' : 'shipped',
  qty: (i % 50) + revision,
  price: i / 4,
  revision,
  at: new Date(Date.UTC(2026, 0, 1) + i * 1000 + revision).toISOString(),
});

// 100 000 orders, then a second revision of every 10th, then the first revision of every 20th
// again (late and older: it must not win), then tombstones for five of them.
const deletedKeys = ['order-7', 'order-77', 'order-777', 'order-7777', 'order-77777'];
const finalState = new Map<string, Order>();

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  await ensureTopics(transport, [topic]);
  const producer = createProducer({ transport, source: 'urn:test:reconcile' });
  try {
    const waves: Order[][] = [
      Array.from({ length: eventCount }, (_, i) => order(i, 1)),
      Array.from({ length: eventCount / 10 }, (_, i) => order(i * 10, 2)),
      Array.from({ length: eventCount / 20 }, (_, i) => order(i * 20, 1)),
    ];
    for (const wave of waves)
      for (let at = 0; at < wave.length; at += 2000)
        await producer.sendBatch(
          topic,
          wave.slice(at, at + 2000).map((data) => ({ type: 'order.updated' as const, data })),
        );
    for (const key of deletedKeys) await producer.sendTombstone(topic, key, { entityVersion: 3 });
  } finally {
    await producer.close();
  }
  for (let i = 0; i < eventCount; i += 1) finalState.set(`order-${i}`, order(i, i % 10 === 0 ? 2 : 1));
  // Landed as the PostgreSQL sink lands them (derived columns, deletes marked), then tampered.
  await pool.query(`create table ${table} (key text primary key, order_id text, status text, qty bigint,
    price double precision, revision bigint, at timestamptz, entity_version bigint, event_id text,
    event_time timestamptz, deleted boolean not null default false)`);
  const rows = [...finalState.values()];
  for (let at = 0; at < rows.length; at += 10_000) {
    const chunk = rows.slice(at, at + 10_000);
    await pool.query(
      `insert into ${table} (key, order_id, status, qty, price, revision, at, entity_version)
       select k, k, s, q, p, r, a, r from unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::bigint[], $6::timestamptz[])
         as u(k, s, q, p, r, a)`,
      [
        chunk.map((o) => o.orderId),
        chunk.map((o) => o.status),
        chunk.map((o) => o.qty),
        chunk.map((o) => o.price),
        chunk.map((o) => o.revision),
        chunk.map((o) => o.at),
      ],
    );
  }
  await pool.query(
    `update ${table} set deleted = true, order_id = null, status = null, qty = null, price = null, revision = null, at = null, entity_version = 3 where key = any($1)`,
    [deletedKeys],
  );
  await pool.query(`delete from ${table} where key = 'order-500'`);
  await pool.query(`update ${table} set status = 'lost' where key = 'order-600'`);
  await pool.query(
    `insert into ${table} (key, order_id, status) values ('order-extra', 'order-extra', 'placed')`,
  );
}, 240_000);

afterAll(async () => {
  await pool.query(`drop table if exists ${table}`);
  await pool.end();
  await transport
    .admin()
    .deleteTopics([topic.name])
    .catch(() => {});
  await transport.close();
});

describe('topic → PostgreSQL', () => {
  it(`folds ${eventCount + eventCount / 10 + eventCount / 20} events to the newest per key and finds the deleted, the changed and the extra row`, async () => {
    const reading: { done: number; total: number }[] = [];
    const report = await reconcile({
      source: topicSource({ transport, topic }),
      sink: postgresTableSink({ pool, table }),
      onProgress: ({ phase, done, total }) => {
        if (phase === 'reading') reading.push({ done, total });
      },
    });
    // Reading the topic shows its progress in offsets, from none to all of them.
    const admin = transport.admin();
    const ends = await admin.topicOffsets(topic.name).finally(() => admin.close());
    const offsets = ends.reduce((sum, { low, high }) => sum + Number(high) - Number(low), 0);
    expect(reading[0]).toEqual({ done: 0, total: offsets });
    expect(reading.at(-1)).toEqual({ done: offsets, total: offsets });
    expect(reading.length).toBeGreaterThan(2);
    for (const [index, step] of reading.entries())
      expect(step.done).toBeGreaterThanOrEqual(reading[index - 1]?.done ?? 0);
    expect(report).toMatchObject({
      source: `topic:${topic.name}`,
      columns: ['at', 'order_id', 'price', 'qty', 'revision', 'status'],
      missing: ['order-500'],
      changed: ['order-600'],
      extra: ['order-extra'],
      totals: { missing: 1, changed: 1, extra: 1 },
      rows: { source: eventCount - deletedKeys.length, sink: eventCount - deletedKeys.length },
    });
    console.log(`topic → PostgreSQL, ${eventCount} keys: ${report.tookMs} ms`);
  }, 180_000);
});
