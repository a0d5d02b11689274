import { createInMemoryBackbone } from '@inlet/backbone';
import {
  decodeEventRecord,
  type IncomingRecord,
  type KafkaTransport,
  type TopicDefinition,
} from '@inlet/core';
import { createEmbeddedRegistry, createSchemaResolver } from '@inlet/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { createProducer, type InletProducer } from './producer';

let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function setUp(partitions: number) {
  const transport = createInMemoryBackbone({ defaultPartitions: partitions });
  opened.push(transport);
  const orders = ordersTopic(`producer-order-${++counter}`);
  await transport.admin().createTopics([{ topic: orders.name, partitions }]);
  return { transport, orders };
}

function producerOn(transport: KafkaTransport, extra: Partial<Parameters<typeof createProducer>[0]> = {}) {
  const producer: InletProducer = createProducer({ transport, source: 'urn:test:order', ...extra });
  opened.push(producer);
  return producer;
}

async function readAll(transport: KafkaTransport, topic: TopicDefinition, expected: number) {
  const records: IncomingRecord[] = [];
  const consumer = transport.consumer({ groupId: `order-reader-${++counter}` });
  await consumer.subscribe([topic.name]);
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    onBatch: async (batch) => {
      records.push(...batch.records);
      if (records.length >= expected) done();
    },
  });
  await finished;
  await consumer.close();
  return records;
}

/** The sequence numbers each order id was written with, in log order. */
function sequencesByKey(records: readonly IncomingRecord[], topic: TopicDefinition) {
  const byKey = new Map<string, number[]>();
  for (const record of records) {
    const { orderId, sequence } = decodeEventRecord(record, topic).data as {
      orderId: string;
      sequence: number;
    };
    byKey.set(orderId, [...(byKey.get(orderId) ?? []), sequence]);
  }
  return byKey;
}

describe('producer: records of one key are written in call order', () => {
  it('keeps a sendBatch ahead of a send called after it without awaiting', async () => {
    const { transport, orders } = await setUp(4);
    const producer = producerOn(transport);
    const keys = Array.from({ length: 200 }, (_, index) => `order-${index}`);
    const calls: Promise<unknown>[] = [];
    for (const key of keys) {
      calls.push(producer.sendBatch(orders, [placed(key, 0), placed(key, 1)]));
      calls.push(producer.send(orders, placed(key, 2)));
    }
    await Promise.all(calls);

    const byKey = sequencesByKey(await readAll(transport, orders, keys.length * 3), orders);
    for (const key of keys) expect(byKey.get(key), key).toEqual([0, 1, 2]);
  });

  it('keeps call order when an earlier call must first resolve its schema id', async () => {
    const { transport, orders } = await setUp(2);
    const resolver = createSchemaResolver({ registry: createEmbeddedRegistry() });
    // Registry answers that take a while, as over a network.
    const slowRegistry = {
      ...resolver,
      schemaIdFor: async (topic: string, definition: Parameters<typeof resolver.schemaIdFor>[1]) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return resolver.schemaIdFor(topic, definition);
      },
    };
    const producer = producerOn(transport, { registry: slowRegistry });
    // order.noted's schema id is cached from here on; order.placed's is not yet.
    await producer.send(orders, {
      type: 'order.noted',
      data: { orderId: 'warm-up', note: 'n', at: new Date().toISOString() },
    });

    const calls = [
      producer.sendBatch(orders, [placed('k', 1), placed('k', 2)]),
      producer.send(orders, {
        type: 'order.noted',
        data: { orderId: 'k', note: 'after the batch', at: new Date().toISOString() },
      }),
    ];
    await Promise.all(calls);

    // Framed values need the registry to decode; the key and the type header say enough here.
    const written = (await readAll(transport, orders, 4))
      .filter((record) => String(record.key) === 'k')
      .map((record) => String(record.headers.ce_type));
    expect(written).toEqual(['order.placed', 'order.placed', 'order.noted']);
  });

  it('keeps call order inside a transaction', async () => {
    const { transport, orders } = await setUp(3);
    const producer = producerOn(transport, { transactionalId: `order-tx-${counter}` });
    const keys = Array.from({ length: 50 }, (_, index) => `tx-order-${index}`);
    await producer.transaction(async (tx) => {
      const calls: Promise<unknown>[] = [];
      for (const key of keys) {
        calls.push(tx.sendBatch(orders, [placed(key, 0), placed(key, 1)]));
        calls.push(tx.send(orders, placed(key, 2)));
      }
      await Promise.all(calls);
    });
    const byKey = sequencesByKey(await readAll(transport, orders, keys.length * 3), orders);
    for (const key of keys) expect(byKey.get(key), key).toEqual([0, 1, 2]);
  });
});
