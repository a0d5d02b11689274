import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { defineEvent, defineTopic, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPipeline } from '../pipeline';
import { createDuckDbSink } from './duckdb-sink';

// Pipelines on a real broker into a DuckDB file: the table ends equal to what the topic says,
// with duplicates, late updates and deletes; append mode resumes from its own offsets.

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'sinks-duckdb' });
});
afterAll(async () => {
  await transport.close();
});

const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string' },
      revision: { type: 'integer' },
      status: { type: 'string' },
      total: { type: 'number' },
    },
    required: ['orderId', 'revision', 'status', 'total'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: () => new Date(),
  entityVersion: (order) => order.revision,
});

const update = (order: number, revision: number) => ({
  type: 'order.updated' as const,
  data: { orderId: `order-${order}`, revision, status: `status-${revision}`, total: order + revision / 10 },
});

async function readRows(file: string, sql: string) {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('DuckDB sink on a real broker', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'inlet-duckdb-kafka-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('lands a topic with duplicates, late updates and deletes in a file, equal to its newest state', async () => {
    const orders = defineTopic({ name: uniqueName('duckdb-orders'), events: [OrderUpdated], partitions: 3 });
    await transport.admin().createTopics([{ topic: orders.name, partitions: 3 }]);
    const producer = createProducer({ transport });
    for (let revision = 1; revision <= 5; revision += 1) {
      const results = await producer.sendBatch(
        orders,
        Array.from({ length: 60 }, (_, order) => update(order, revision)),
      );
      // A retry sends the same event again, and a slow device an old revision.
      await producer.send(orders, { ...update(revision, revision), id: results[revision]?.id as string });
      if (revision > 2) await producer.sendBatch(orders, [update(7, revision - 2), update(8, 1)]);
    }
    await producer.close();
    const raw = transport.producer();
    // Orders 0 and 1 deleted at revision 6; order 1's delete arrives before an older update.
    for (const order of [0, 1])
      await raw.send([
        {
          topic: orders.name,
          key: Buffer.from(`order-${order}`),
          value: null,
          headers: { ce_id: `delete-${order}`, ce_entityversion: '6' },
        },
      ]);
    await raw.close();
    const late = createProducer({ transport });
    await late.send(orders, update(1, 4));
    await late.close();

    const file = join(directory, 'orders.duckdb');
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('duckdb-orders-group'),
      topics: [orders],
      sink: createDuckDbSink({ database: file, table: 'orders', topics: [orders], ensureTable: true }),
      batching: { maxBatch: 40, lingerMs: 10 },
    });
    await pipeline.start();
    await pipeline.caughtUp({ timeoutMs: 60_000 });
    expect(pipeline.stats().rejected).toBe(0);
    await pipeline.close();

    const rows = (await readRows(
      file,
      'SELECT key, entity_version, status, total, deleted FROM orders ORDER BY key',
    )) as { key: string; entity_version: bigint; status: string; total: number; deleted: boolean }[];
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      const order = Number(row.key.slice('order-'.length));
      if (order <= 1) expect(row).toMatchObject({ entity_version: 6n, deleted: true });
      else
        expect(row).toEqual({
          key: row.key,
          entity_version: 5n,
          status: 'status-5',
          total: order + 0.5,
          deleted: false,
        });
    }
  }, 120_000);

  it('appends every record once across two runs, resuming from the offsets it stored', async () => {
    const orders = defineTopic({ name: uniqueName('duckdb-log'), events: [OrderUpdated], partitions: 3 });
    await transport.admin().createTopics([{ topic: orders.name, partitions: 3 }]);
    const file = join(directory, 'log.duckdb');
    const groupId = uniqueName('duckdb-log-group');
    const run = async () => {
      const pipeline = createPipeline({
        transport,
        groupId,
        topics: [orders],
        // The consumer's dedup would hide a replay: off, so that the sink alone keeps it exact.
        dedup: false,
        sink: createDuckDbSink({
          database: file,
          table: 'order_log',
          topics: [orders],
          mode: 'append',
          ensureTable: true,
        }),
        batching: { maxBatch: 50, lingerMs: 10 },
      });
      await pipeline.start();
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      await pipeline.close();
      return pipeline.stats().written;
    };
    const producer = createProducer({ transport });
    await producer.sendBatch(
      orders,
      Array.from({ length: 300 }, (_, index) => update(index % 40, index)),
    );
    expect(await run()).toBe(300);
    await producer.sendBatch(
      orders,
      Array.from({ length: 200 }, (_, index) => update(index % 40, 300 + index)),
    );
    await producer.close();
    // As if the group's commits were lost: the group would read everything again.
    const admin = transport.admin();
    await admin.setGroupOffsets(
      groupId,
      [0, 1, 2].map((partition) => ({ topic: orders.name, partition, offset: '0' })),
    );
    // The sink's stored offsets win: only the 200 new records are read and written.
    expect(await run()).toBe(200);
    const [counts] = (await readRows(
      file,
      `SELECT count(*) AS n, count(DISTINCT event_id) AS ids, max(entity_version) AS top FROM order_log`,
    )) as { n: bigint; ids: bigint; top: bigint }[];
    expect(counts).toEqual({ n: 500n, ids: 500n, top: 499n });
    const offsets = (await readRows(
      file,
      `SELECT sum(next_offset) AS total FROM inlet_sink_offsets WHERE group_id = '${groupId}'`,
    )) as {
      total: bigint;
    }[];
    expect(offsets[0]?.total).toBe(500n);
  }, 120_000);
});
