import {
  decodeEventRecord,
  defineEvent,
  defineTopic,
  ensureTopics,
  headerViews,
  jsonSchema,
  type KafkaTransport,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer, type InletProducer } from '@inlet/producer';
import { createPipeline, type SinkVisibleMessage, sinkChannels } from '@inlet/sinks';
import { createPostgresSink } from '@inlet/sinks/postgres';
import { createRedisSink } from '@inlet/sinks/redis';
import { Redis } from 'ioredis';
import type { Batch } from 'kafkajs';
import pg from 'pg';
import { type Arm, type ArmRun, percentile, type Scenario } from '../harness';
import { benchKafka, benchTopicName, deleteTopics } from '../kafka';

// End to end through the real broker at a steady rate: from an event's event time (stamped when
// it is sent) to the moment the write that holds it is acknowledged by the target. Both arms get
// the same events from the same Inlet producer; they differ in what consumes them: Inlet's
// pipeline and sink, or kafkajs eachBatch with the same writes hand-written.

const partitions = 3;
const keys = 1_000;

const OrderUpdated = defineEvent({
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
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.at,
  entityVersion: (order) => order.revision,
});
type Order = { orderId: string; status: string; revision: number; at: string };

function summary(latencies: readonly number[]): ArmRun {
  return {
    work: latencies.length,
    value: percentile(latencies, 0.99),
    extra: { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) },
  };
}

/** Sends `total` order updates at `rate` per second, in ticks of 10 ms, each stamped when sent. */
async function produceSteadily(
  producer: InletProducer,
  topic: ReturnType<typeof defineTopic<readonly [typeof OrderUpdated]>>,
  rate: number,
  total: number,
) {
  const perTick = Math.max(1, Math.round(rate / 100));
  const sends: Promise<unknown>[] = [];
  const started = performance.now();
  for (let sent = 0, tick = 0; sent < total; tick += 1) {
    const wait = started + tick * 10 - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = new Date().toISOString();
    const count = Math.min(perTick, total - sent);
    const orders = Array.from({ length: count }, (_, index) => {
      const n = sent + index;
      return {
        type: 'order.updated' as const,
        data: { orderId: `order-${n % keys}`, status: `s${n}`, revision: Math.floor(n / keys), at },
      };
    });
    sent += count;
    sends.push(producer.sendBatch(topic, orders));
  }
  await Promise.all(sends);
}

async function until(probe: () => boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Target = 'postgres' | 'redis';

interface TargetClients {
  readonly pool: pg.Pool;
  readonly redis: Redis;
}

let runCounter = 0;

function inletArm(
  target: Target,
  brokers: readonly string[],
  transport: KafkaTransport,
  producer: InletProducer,
  clients: TargetClients,
  rate: number,
  total: number,
  made: string[],
): Arm {
  return {
    label: `inlet pipeline -> ${target} sink`,
    async run() {
      const name = benchTopicName(`e2e-${target}-inlet`).replaceAll('-', '_');
      made.push(name);
      const topic = defineTopic({ name, events: [OrderUpdated], partitions });
      await ensureTopics(transport, [topic]);
      const groupId = `${name}-group-${++runCounter}`;
      const sink =
        target === 'postgres'
          ? createPostgresSink({ pool: clients.pool, table: name, topics: [topic], ensureTable: true })
          : createRedisSink({ redis: clients.redis, topics: [topic], keyPrefix: `${name}:` });
      const latencies: number[] = [];
      const onVisible = (message: unknown) => {
        const visible = message as SinkVisibleMessage;
        if (visible.groupId !== groupId) return;
        for (const event of visible.events) latencies.push(visible.visibleAt - event.eventTime);
      };
      sinkChannels.visible.subscribe(onVisible);
      const pipeline = createPipeline({ brokers, groupId, topics: [topic], sink });
      try {
        await pipeline.start();
        await pipeline.caughtUp({ timeoutMs: 30_000 });
        await produceSteadily(producer, topic, rate, total);
        await until(() => latencies.length >= total, `${total} events visible in ${target}`);
      } finally {
        sinkChannels.visible.unsubscribe(onVisible);
        await pipeline.close();
      }
      return summary(latencies);
    },
  };
}

function rawArm(
  target: Target,
  brokers: readonly string[],
  transport: KafkaTransport,
  producer: InletProducer,
  clients: TargetClients,
  rate: number,
  total: number,
  made: string[],
): Arm {
  return {
    label: `kafkajs eachBatch -> hand-written ${target} writes`,
    async run() {
      const name = benchTopicName(`e2e-${target}-raw`).replaceAll('-', '_');
      made.push(name);
      const topic = defineTopic({ name, events: [OrderUpdated], partitions });
      await ensureTopics(transport, [topic]);
      if (target === 'postgres') {
        await clients.pool.query(
          `create table ${name} (key text primary key, order_id text, status text, revision bigint, at text,
             entity_version bigint, event_id text, event_time timestamptz)`,
        );
      }
      const latencies: number[] = [];
      const consumer = benchKafka(brokers, 'bench-e2e-raw').consumer({ groupId: `${name}-group` });
      await consumer.connect();
      await consumer.subscribe({ topic: name, fromBeginning: true });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      const write = async (batch: Batch) => {
        const events = batch.messages.map(
          (message) =>
            decodeEventRecord(
              {
                topic: name,
                partition: batch.partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
                ...headerViews(
                  Object.entries(message.headers ?? {}).map(([header, value]) => ({
                    name: header,
                    value: value as Buffer,
                  })),
                ),
                timestamp: Number(message.timestamp),
              },
              topic,
            ) as unknown as { data: Order; key: string; id: string; eventTime: Date; entityVersion: number },
        );
        // Newest per key, as a careful hand-written upsert must do within one statement.
        const newest = new Map<string, (typeof events)[number]>();
        for (const event of events) newest.set(event.key, event);
        const rows = [...newest.values()];
        if (target === 'postgres') {
          await clients.pool.query(
            `insert into ${name} as t (key, order_id, status, revision, at, entity_version, event_id, event_time)
             select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::timestamptz[])
             on conflict (key) do update set order_id = excluded.order_id, status = excluded.status,
               revision = excluded.revision, at = excluded.at, entity_version = excluded.entity_version,
               event_id = excluded.event_id, event_time = excluded.event_time
             where t.entity_version < excluded.entity_version`,
            [
              rows.map((row) => row.key),
              rows.map((row) => row.data.orderId),
              rows.map((row) => row.data.status),
              rows.map((row) => row.data.revision),
              rows.map((row) => row.data.at),
              rows.map((row) => row.entityVersion),
              rows.map((row) => row.id),
              rows.map((row) => row.eventTime.toISOString()),
            ],
          );
        } else {
          const pipeline = clients.redis.pipeline();
          for (const row of rows) pipeline.set(`${name}:${row.key}`, JSON.stringify(row.data));
          await pipeline.exec();
        }
        const visibleAt = Date.now();
        for (const event of events) latencies.push(visibleAt - event.eventTime.getTime());
      };
      await consumer.run({
        partitionsConsumedConcurrently: partitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          if (batch.messages.length === 0) return;
          await write(batch);
          resolveOffset(batch.lastOffset());
          await heartbeat();
        },
      });
      try {
        await joined;
        await produceSteadily(producer, topic, rate, total);
        await until(() => latencies.length >= total, `${total} events written to ${target}`);
      } finally {
        await consumer.disconnect();
      }
      return summary(latencies);
    },
  };
}

function endToEnd(target: Target): Scenario {
  const rate = 5_000;
  return {
    name: `sink-e2e-${target}`,
    group: 'sinks',
    description:
      `end to end through the real broker at a steady ${rate.toLocaleString('en-US')} events/s (3 partitions, ` +
      `${keys} keys, JSON events from one Inlet producer): event time to visible in ${target === 'postgres' ? 'PostgreSQL' : 'Redis'}, p99 ` +
      '(p50 in extra). Inlet: createPipeline with the default batching into the ' +
      `${target} sink. Baseline: kafkajs eachBatch with the same writes hand-written (newest per key, one ` +
      `${target === 'postgres' ? 'version-guarded unnest upsert' : 'pipeline of SETs'} per fetched batch).`,
    unit: 'ms (p99)',
    better: 'lower',
    needsKafka: true,
    pairs: 3,
    warmupRuns: 1,
    async prepare({ brokers, quick }) {
      const total = quick ? 2_000 : 25_000;
      const transport = createKafkaJsTransport({ brokers, clientId: `bench-e2e-${target}` });
      const producer = createProducer({ transport });
      const clients: TargetClients = {
        pool: new pg.Pool({
          connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        }),
        redis: new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
      };
      const made: string[] = [];
      return {
        ours: inletArm(target, brokers, transport, producer, clients, rate, total, made),
        baseline: rawArm(target, brokers, transport, producer, clients, rate, total, made),
        async teardown() {
          await producer.close();
          await transport.close();
          for (const name of made) {
            if (target === 'postgres') await clients.pool.query(`drop table if exists ${name}`);
            else {
              const stored = await clients.redis.keys(`${name}:*`);
              for (let start = 0; start < stored.length; start += 1000)
                await clients.redis.del(...stored.slice(start, start + 1000));
            }
          }
          await clients.pool.end();
          clients.redis.disconnect();
          await deleteTopics(benchKafka(brokers), made);
        },
      };
    },
  };
}

export const sinkLatencyScenarios: readonly Scenario[] = [endToEnd('postgres'), endToEnd('redis')];
