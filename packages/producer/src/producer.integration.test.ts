import { spawn } from 'node:child_process';
import { decodeEventRecord, InletKafkaError, type KafkaTransport, partitionForKey } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createConfluentRegistry, createSchemaResolver } from '@inlet/schema';
import { javaConsoleProduce, testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultyTransport } from './fixtures/faulty-transport.fixture';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { decodeAll, readTopic } from './fixtures/read-topic.fixture';
import { createProducer } from './producer';
import { SendFailedError } from './send-failed-error';

const environment = testEnvironment();
const brokers = environment.kafkaBrokers;
let transport: KafkaTransport;

beforeAll(() => {
  transport = createKafkaJsTransport({ brokers, clientId: 'producer-integration' });
});
afterAll(async () => {
  await transport.close();
});

async function createTopic(partitions: number) {
  const name = uniqueName('producer');
  await transport.admin().createTopics([{ topic: name, partitions }]);
  return ordersTopic(name);
}

describe('producer on a real broker', () => {
  it('places keys on the same partitions as the Java client', async () => {
    const javaTopic = uniqueName('interop-java');
    await transport.admin().createTopics([{ topic: javaTopic, partitions: 6 }]);
    const orders = await createTopic(6);
    const keys = Array.from({ length: 60 }, (_, index) => `customer-${index * 7919}`);

    // The broker's own console producer (Java client, default partitioner).
    await javaConsoleProduce(
      brokers,
      javaTopic,
      keys.map((key) => ({ key, value: 'from-java' })),
    );

    const producer = createProducer({ transport, linger: { ms: 5 } });
    const results = await Promise.all(keys.map((key) => producer.send(orders, placed(key, 1))));
    await producer.close();

    const javaRecords = await readTopic(brokers, javaTopic, (records) => records.length >= keys.length);
    const javaPartition = new Map(javaRecords.map((record) => [String(record.key), record.partition]));
    results.forEach((result, index) => {
      const key = keys[index] as string;
      expect(result.partition, key).toBe(javaPartition.get(key));
      expect(result.partition, key).toBe(partitionForKey(Buffer.from(key), 6));
    });
  });

  it('keeps per-key order across batches and retries, with every event once', async () => {
    const orders = await createTopic(4);
    // Every third attempt fails before reaching the broker, retryably: batches are retried.
    const flaky = faultyTransport(transport, (attempt) =>
      attempt % 3 === 1
        ? new InletKafkaError('INLET_KAFKA_NOT_LEADER', 'injected', 'NOT_LEADER_OR_FOLLOWER', {
            retryable: true,
          })
        : undefined,
    );
    const producer = createProducer({
      transport: flaky,
      linger: { ms: 3, maxRecords: 200 },
      retry: { minDelayMs: 5, maxDelayMs: 20 },
    });
    const keys = 40;
    const perKey = 50;
    const sends: Promise<unknown>[] = [];
    for (let sequence = 0; sequence < perKey; sequence += 1) {
      for (let key = 0; key < keys; key += 1)
        sends.push(producer.send(orders, placed(`order-${key}`, sequence)));
      if (sequence % 10 === 0) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
    expect(producer.stats().retries).toBeGreaterThan(0);
    await producer.close();

    const records = await readTopic(brokers, orders.name, (seen) => seen.length >= keys * perKey);
    const events = decodeAll(records, orders);
    expect(events).toHaveLength(keys * perKey);
    const sequences = new Map<string, number[]>();
    for (const event of events) {
      const data = event.data as { orderId: string; sequence: number };
      sequences.set(data.orderId, [...(sequences.get(data.orderId) ?? []), data.sequence]);
    }
    expect(sequences.size).toBe(keys);
    for (const list of sequences.values())
      expect(list).toEqual(Array.from({ length: perKey }, (_, index) => index));
  });

  it('commits transactions across topics atomically; read_committed never sees an aborted one', async () => {
    const orders = await createTopic(2);
    const audit = await createTopic(1);
    const producer = createProducer({ transport, transactionalId: uniqueName('tx') });
    await expect(
      producer.transaction(async (tx) => {
        await tx.sendBatch(orders, [placed('aborted-1', 1), placed('aborted-2', 1)]);
        await tx.send(audit, placed('aborted-1', 1));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await producer.transaction(async (tx) => {
      await tx.sendBatch(orders, [placed('kept-1', 1), placed('kept-2', 1)]);
      await tx.send(audit, placed('kept-1', 1));
    });
    await producer.close();

    const committedOrders = decodeAll(
      await readTopic(brokers, orders.name, (seen) => seen.length >= 2),
      orders,
    );
    const committedAudit = decodeAll(await readTopic(brokers, audit.name, (seen) => seen.length >= 1), audit);
    const ids = (events: typeof committedOrders) =>
      events.map((event) => (event.data as { orderId: string }).orderId).sort();
    expect(ids(committedOrders)).toEqual(['kept-1', 'kept-2']);
    expect(ids(committedAudit)).toEqual(['kept-1']);
    const everything = await readTopic(brokers, orders.name, (seen) => seen.length >= 4, {
      isolation: 'read_uncommitted',
    });
    expect(everything).toHaveLength(4);
  });

  it('reports an event the broker refuses as too large, and sends nothing of it', async () => {
    const orders = await createTopic(1);
    const producer = createProducer({
      transport,
      maxRecordBytes: 4 * 1024 * 1024,
      buffer: { maxBytes: 8 * 1024 * 1024 },
    });
    const huge = {
      type: 'order.noted' as const,
      data: { orderId: 'o', note: 'x'.repeat(2 * 1024 * 1024), at: new Date().toISOString() },
    };
    const error = await producer.send(orders, huge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendFailedError);
    expect((error as SendFailedError).cause).toMatchObject({
      code: 'INLET_KAFKA_MESSAGE_TOO_LARGE',
      retryable: false,
    });
    await producer.send(orders, placed('after', 1));
    await producer.close();
    const events = decodeAll(await readTopic(brokers, orders.name, (seen) => seen.length >= 1), orders);
    expect(events.map((event) => event.type)).toEqual(['order.placed']);
  });

  it('frames events for the real schema registry, and fails clearly when the registry is unreachable', async () => {
    const orders = await createTopic(1);
    const registry = createConfluentRegistry({ url: environment.schemaRegistryUrl });
    const resolver = createSchemaResolver({ registry });
    const producer = createProducer({ transport, registry: resolver });
    await producer.send(orders, placed('framed', 1));
    await producer.close();
    const [record] = await readTopic(brokers, orders.name, (seen) => seen.length >= 1);
    expect(record?.value?.[0]).toBe(0);
    const writerId = record?.value?.readUInt32BE(1) as number;
    await resolver.writerCodecFor(writerId);
    const event = decodeEventRecord(record as NonNullable<typeof record>, orders, {
      writerCodecForSchemaId: (id) => resolver.cachedWriterCodecFor(id),
    });
    expect((event.data as { orderId: string }).orderId).toBe('framed');

    const unreachable = createSchemaResolver({
      registry: createConfluentRegistry({
        url: 'http://127.0.0.1:9',
        retries: 1,
        minRetryDelayMs: 1,
        maxRetryDelayMs: 1,
      }),
    });
    const stranded = createProducer({
      transport,
      registry: unreachable,
      retry: { minDelayMs: 10, maxDelayMs: 20, deliveryTimeoutMs: 300 },
    });
    const lonely = await createTopic(1);
    await expect(stranded.send(lonely, placed('never', 1))).rejects.toMatchObject({
      code: 'INLET_REGISTRY_UNAVAILABLE',
    });
    await stranded.close();
    expect((await transport.admin().topicOffsets(lonely.name))[0]?.high).toBe('0');
    await registry.close();
  });
});

describe('producer: call order and topics on a real broker', () => {
  function sequencesByKey(events: ReturnType<typeof decodeAll>) {
    const byKey = new Map<string, number[]>();
    for (const event of events) {
      const { orderId, sequence } = event.data as { orderId: string; sequence: number };
      byKey.set(orderId, [...(byKey.get(orderId) ?? []), sequence]);
    }
    return byKey;
  }

  it('writes the records of one key in call order across sendBatch and send, none awaited', async () => {
    const orders = await createTopic(4);
    const producer = createProducer({ transport });
    const keys = Array.from({ length: 200 }, (_, index) => `order-${index}`);
    const calls: Promise<unknown>[] = [];
    for (const key of keys) {
      calls.push(producer.sendBatch(orders, [placed(key, 0), placed(key, 1)]));
      calls.push(producer.send(orders, placed(key, 2)));
    }
    await Promise.all(calls);
    await producer.close();

    const events = decodeAll(await readTopic(brokers, orders.name, (seen) => seen.length >= 600), orders);
    expect(events).toHaveLength(600);
    const byKey = sequencesByKey(events);
    for (const key of keys) expect(byKey.get(key), key).toEqual([0, 1, 2]);
  });

  it('keeps call order when the earlier call must first register its schema with the registry', async () => {
    const orders = await createTopic(2);
    const registry = createConfluentRegistry({ url: environment.schemaRegistryUrl });
    const producer = createProducer({ transport, registry: createSchemaResolver({ registry }) });
    // order.noted's schema id is cached from here on; order.placed's is not looked up yet.
    const at = new Date().toISOString();
    await producer.send(orders, { type: 'order.noted', data: { orderId: 'warm-up', note: 'n', at } });
    const calls = [
      producer.sendBatch(orders, [placed('k', 1), placed('k', 2)]),
      producer.send(orders, { type: 'order.noted', data: { orderId: 'k', note: 'after the batch', at } }),
    ];
    await Promise.all(calls);
    await producer.close();
    await registry.close();

    const records = await readTopic(brokers, orders.name, (seen) => seen.length >= 4);
    const forKey = records.filter((record) => String(record.key) === 'k');
    expect(forKey.map((record) => String(record.headers.ce_type))).toEqual([
      'order.placed',
      'order.placed',
      'order.noted',
    ]);
  });

  it('refuses a send to a missing topic within the delivery timeout, not retryable, naming it', async () => {
    const present = await createTopic(1);
    const missing = ordersTopic(uniqueName('producer-missing'));
    const producer = createProducer({ transport, retry: { deliveryTimeoutMs: 3_000 } });
    const started = Date.now();
    const [refused, sent] = await Promise.allSettled([
      producer.send(missing, placed('k', 1)),
      producer.send(present, placed('k', 1)),
    ]);
    const elapsedMs = Date.now() - started;
    await producer.close();

    expect(elapsedMs).toBeLessThan(3_000);
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as Error;
    expect(error).toMatchObject({ code: 'INLET_KAFKA_UNKNOWN_TOPIC', retryable: false });
    expect(error.message).toContain(`"${missing.name}"`);
    expect(sent.status).toBe('fulfilled');
    expect(await transport.admin().listTopics()).not.toContain(missing.name);
  });
});

describe('a producer killed in the middle of a transaction', () => {
  it('leaves nothing visible to read_committed consumers', async () => {
    const orders = await createTopic(2);
    const transactionalId = uniqueName('killed-tx');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@inlet/source',
        new URL('./fixtures/transaction-child.fixture.ts', import.meta.url).pathname,
      ],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers.join(','),
          TOPIC: orders.name,
          TRANSACTIONAL_ID: transactionalId,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('SENT')) resolve();
      });
      child.on('close', (code) => reject(new Error(`child exited (${code}) before sending: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));

    // The uncommitted records are in the log, but read_uncommitted is the only way to see them.
    const uncommitted = await readTopic(brokers, orders.name, (seen) => seen.length >= 20, {
      isolation: 'read_uncommitted',
    });
    expect(uncommitted.length).toBeGreaterThanOrEqual(20);

    // A new producer with the same transactional id fences the dead one and aborts its transaction.
    const successor = createProducer({ transport, transactionalId });
    await successor.transaction(async (tx) => {
      await tx.send(orders, placed('after-crash', 1));
    });
    await successor.close();
    const visible = decodeAll(
      await readTopic(brokers, orders.name, (seen) => seen.length >= 1, { settleMs: 1000 }),
      orders,
    );
    expect(visible.map((event) => (event.data as { orderId: string }).orderId)).toEqual(['after-crash']);
  });
});
