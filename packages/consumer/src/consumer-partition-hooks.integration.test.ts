import type { KafkaTransport, TopicPartitionOffset } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { ordersTopic, updated } from './fixtures/orders.fixture';

// A sink that keeps its own offsets, in the same PostgreSQL transaction as its rows (the
// exactly-once pattern), resumes from them through the assignment hook, whatever the group's
// committed offsets say.

const environment = testEnvironment();
let transport: KafkaTransport;
let pool: pg.Pool;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'partition-hooks' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await transport.close();
});

describe('a sink with its own offsets, on a real broker', () => {
  it('resumes from the offsets it stored, not the group’s, and writes every row once', async () => {
    const orders = ordersTopic(uniqueName('hooks'));
    await transport.admin().createTopics([{ topic: orders.name, partitions: 3 }]);
    const rows = uniqueName('rows').replaceAll('-', '_');
    const offsets = uniqueName('offsets').replaceAll('-', '_');
    await pool.query(`create table ${rows} (event_id text not null, partition int not null)`);
    await pool.query(
      `create table ${offsets} (topic text, partition int, next_offset bigint, primary key (topic, partition))`,
    );
    const groupId = uniqueName('hooks-group');
    const producer = createProducer({ transport });
    const sendRound = (round: number) =>
      producer.sendBatch(
        orders,
        Array.from({ length: 60 }, (_, key) => updated(`o-${key}`, round)),
      );

    const sink = () =>
      createConsumer({
        transport,
        groupId,
        topics: [orders],
        commitIntervalMs: 60_000,
        onPartitionsAssigned: async (partitions): Promise<TopicPartitionOffset[]> => {
          const { rows: stored } = await pool.query<{ partition: number; next_offset: string }>(
            `select partition, next_offset from ${offsets} where topic = $1`,
            [orders.name],
          );
          return partitions.flatMap(({ topic, partition }) => {
            const row = stored.find((each) => each.partition === partition);
            return row === undefined ? [] : [{ topic, partition, offset: String(row.next_offset) }];
          });
        },
        handleBatch: async (events, context) => {
          const client = await pool.connect();
          try {
            await client.query('begin');
            await client.query(`insert into ${rows} select * from unnest($1::text[], $2::int[])`, [
              events.map((event) => event.id),
              events.map(() => context.partition),
            ]);
            const next = Number(context.offsets[context.offsets.length - 1]) + 1;
            await client.query(
              `insert into ${offsets} values ($1, $2, $3) on conflict (topic, partition) do update set next_offset = excluded.next_offset`,
              [context.topic, context.partition, next],
            );
            await client.query('commit');
          } finally {
            client.release();
          }
        },
      });
    try {
      const first = await sendRound(0);
      const one = sink();
      await one.start();
      await one.caughtUp({ timeoutMs: 30_000 });
      await one.close();
      // The group's offsets fall behind the sink's (a commit that never landed): back to the start.
      await transport.admin().setGroupOffsets(
        groupId,
        [0, 1, 2].map((partition) => ({ topic: orders.name, partition, offset: '0' })),
      );
      const second = await sendRound(1);
      const two = sink();
      await two.start();
      await until(async () => (await count(rows)) >= 120, 'both rounds in the sink');
      await two.caughtUp({ timeoutMs: 30_000 });
      await two.close();
      const { rows: written } = await pool.query<{ event_id: string; n: number }>(
        `select event_id, count(*)::int as n from ${rows} group by event_id`,
      );
      expect(written).toHaveLength(120);
      expect(written.every((row) => row.n === 1)).toBe(true);
      expect(new Set(written.map((row) => row.event_id))).toEqual(
        new Set([...first, ...second].map((sent) => sent.id)),
      );
    } finally {
      await producer.close();
      await pool.query(`drop table if exists ${rows}, ${offsets}`);
    }
  }, 90_000);
});

async function count(table: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]?.n ?? 0;
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
