import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testEnvironment, uniqueName } from './index';

// Proves the harness itself: the real broker, the registry, PostgreSQL and Redis all answer and
// behave as the later suites assume.
const environment = testEnvironment();
const kafka = new Kafka({
  clientId: 'inlet-harness-test',
  brokers: [...environment.kafkaBrokers],
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
});

async function createTopic(partitions: number): Promise<string> {
  const topic = uniqueName('harness');
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  return topic;
}

describe('real Kafka broker', () => {
  it('round-trips messages through a consumer group and keeps its committed offsets', async () => {
    const topic = await createTopic(3);
    const groupId = uniqueName('harness-group');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, index) => ({
      key: `key-${index % 5}`,
      value: `value-${index}`,
    }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) received.push(String(message.value));
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      },
    });
    await eventually(() => (received.length >= sent.length ? true : undefined), { what: 'all 30 messages' });
    await consumer.disconnect();

    expect(received.sort()).toEqual(sent.map((message) => message.value).sort());
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedTotal = committed[0]?.partitions.reduce(
      (sum, partition) => sum + Number(partition.offset),
      0,
    );
    expect(committedTotal).toBe(30);
  });

  it('hides aborted transactions from read_committed consumers', async () => {
    const topic = await createTopic(1);
    const producer = kafka.producer({
      transactionalId: uniqueName('harness-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('harness-rc'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
    await eventually(() => (received.includes('committed') ? true : undefined), {
      what: 'the committed one',
    });
    await consumer.disconnect();
    expect(received).toEqual(['committed']);
  });
});

describe('real schema registry', () => {
  it('answers the Confluent-compatible API', async () => {
    const subject = uniqueName('harness-subject');
    const response = await fetch(`${environment.schemaRegistryUrl}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'R', fields: [] }) }),
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: number };
    expect(id).toBeGreaterThan(0);
    const byId = await fetch(`${environment.schemaRegistryUrl}/schemas/ids/${id}`);
    expect(((await byId.json()) as { schema: string }).schema).toContain('"R"');
  });
});

describe('provided services', () => {
  it('round-trips a row through PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: environment.databaseUrl });
    await client.connect();
    try {
      const table = uniqueName('harness').replaceAll('-', '_');
      await client.query(`create temporary table ${table} (id text primary key, amount numeric)`);
      await client.query(`insert into ${table} values ($1, $2)`, ['order-1', '12.50']);
      const { rows } = await client.query(`select amount from ${table} where id = $1`, ['order-1']);
      expect(rows).toEqual([{ amount: '12.50' }]);
    } finally {
      await client.end();
    }
  });

  it('round-trips a key through Redis', async () => {
    const redis = new Redis(environment.redisUrl, { lazyConnect: true });
    await redis.connect();
    try {
      const key = uniqueName('harness');
      await redis.set(key, 'value', 'PX', 10_000);
      expect(await redis.get(key)).toBe('value');
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });
});
