import { createInMemoryBackbone } from '@inlet/backbone';
import { type IncomingRecord, type KafkaTransport, partitionForKey, type TopicDefinition } from '@inlet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { createProducer } from './producer';

let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

function backbone(): KafkaTransport {
  const transport = createInMemoryBackbone({ defaultPartitions: 3, autoCreateTopics: true });
  opened.push(transport);
  return transport;
}

async function readAll(transport: KafkaTransport, topic: TopicDefinition, count: number) {
  const records: IncomingRecord[] = [];
  const consumer = transport.consumer({ groupId: `tombstone-reader-${++counter}` });
  await consumer.subscribe([topic.name]);
  await consumer.run({ onBatch: async (batch) => void records.push(...batch.records) });
  await expect.poll(() => records.length).toBe(count);
  await consumer.close();
  return records;
}

describe('producer.sendTombstone', () => {
  it('sends the key with no value onto the key’s partition, with the CloudEvents headers given', async () => {
    const transport = backbone();
    const orders = ordersTopic(`tombstone-${++counter}`);
    const producer = createProducer({ transport, source: 'urn:test:tombstones' });
    opened.push(producer);
    const eventTime = new Date('2026-01-02T03:04:05.000Z');
    const result = await producer.sendTombstone(orders, 'order-7', {
      entityVersion: 12,
      id: 'delete-order-7',
      type: 'order.placed',
      eventTime,
    });
    expect(result).toMatchObject({ id: 'delete-order-7', type: 'order.placed', topic: orders.name });
    expect(result.partition).toBe(partitionForKey(Buffer.from('order-7'), 3));
    const [record] = await readAll(transport, orders, 1);
    expect(record?.value).toBeNull();
    expect(record?.key?.toString()).toBe('order-7');
    expect(record?.timestamp).toBe(eventTime.getTime());
    const header = (name: string) => record?.headers[name]?.toString();
    expect(header('ce_id')).toBe('delete-order-7');
    expect(header('ce_entityversion')).toBe('12');
    expect(header('ce_type')).toBe('order.placed');
    expect(header('ce_time')).toBe('2026-01-02T03:04:05.000Z');
    expect(header('ce_source')).toBe('urn:test:tombstones');
  });

  it('gives a new id and leaves out what is not given', async () => {
    const transport = backbone();
    const orders = ordersTopic(`tombstone-${++counter}`);
    const producer = createProducer({ transport });
    opened.push(producer);
    const result = await producer.sendTombstone(orders, Buffer.from([1, 2, 3]));
    expect(result.type).toBe('');
    const [record] = await readAll(transport, orders, 1);
    expect(record?.headers.ce_id?.toString()).toBe(result.id);
    expect(record?.headers.ce_entityversion).toBeUndefined();
    expect(record?.headers.ce_type).toBeUndefined();
    expect([...(record?.key ?? [])]).toEqual([1, 2, 3]);
  });

  it('refuses an empty key and a version that is not a non-negative integer, sending nothing', async () => {
    const transport = backbone();
    const orders = ordersTopic(`tombstone-${++counter}`);
    const producer = createProducer({ transport });
    opened.push(producer);
    await expect(producer.sendTombstone(orders, '')).rejects.toMatchObject({ code: 'INLET_INVALID_KEY' });
    await expect(producer.sendTombstone(orders, 'k', { entityVersion: -1 })).rejects.toMatchObject({
      code: 'INLET_VALIDATION_FAILED',
    });
    await expect(producer.sendTombstone(orders, 'k', { entityVersion: 1.5 })).rejects.toMatchObject({
      code: 'INLET_VALIDATION_FAILED',
    });
    expect(producer.stats()).toMatchObject({ sent: 0, refused: 3 });
  });

  it('sends tombstones inside a transaction, in call order with its events', async () => {
    const transport = backbone();
    const orders = ordersTopic(`tombstone-${++counter}`);
    const producer = createProducer({ transport, transactionalId: `tombstone-tx-${counter}` });
    opened.push(producer);
    await expect(producer.sendTombstone(orders, 'k')).rejects.toMatchObject({ code: 'INLET_INVALID_OPTION' });
    await producer.transaction(async (tx) => {
      await tx.send(orders, placed('k', 1));
      await tx.sendTombstone(orders, 'k', { entityVersion: 2 });
    });
    await expect(
      producer.transaction(async (tx) => tx.sendTombstone(orders, 'k', { entityVersion: -2 })),
    ).rejects.toMatchObject({ code: 'INLET_VALIDATION_FAILED' });
    const records = await readAll(transport, orders, 2);
    expect(records.map((record) => record.value === null)).toEqual([false, true]);
    expect(records[1]?.headers.ce_entityversion?.toString()).toBe('2');
  });

  it('refuses after close', async () => {
    const producer = createProducer({ transport: backbone() });
    await producer.close();
    await expect(producer.sendTombstone(ordersTopic('closed'), 'k')).rejects.toMatchObject({
      code: 'INLET_CLOSED',
    });
  });
});
