import { createInMemoryBackbone } from '@inlet/backbone';
import { ensureTopics, type InletError } from '@inlet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { createProducer } from './producer';

let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

function open<T extends { close(): Promise<void> }>(resource: T): T {
  opened.push(resource);
  return resource;
}

describe('producer: topics on the in-memory backbone', () => {
  it('refuses a send to a missing topic at once, not retryable, naming it, and keeps sending to others', async () => {
    const transport = open(createInMemoryBackbone());
    const present = ordersTopic(`present-${++counter}`);
    const missing = ordersTopic(`missing-${counter}`);
    await ensureTopics(transport, [present]);
    const producer = open(createProducer({ transport, retry: { deliveryTimeoutMs: 10_000 } }));

    const started = Date.now();
    const [refused, sent] = await Promise.allSettled([
      producer.send(missing, placed('k', 1)),
      producer.send(present, placed('k', 1)),
    ]);

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as InletError;
    expect(error).toMatchObject({ code: 'INLET_KAFKA_UNKNOWN_TOPIC', retryable: false });
    expect(error.message).toContain(missing.name);
    expect(sent.status).toBe('fulfilled');
    expect(await transport.admin().listTopics()).toEqual([present.name]);
  });

  it('creates a missing topic when the backbone was made with autoCreateTopics', async () => {
    const transport = open(createInMemoryBackbone({ autoCreateTopics: true, defaultPartitions: 3 }));
    const orders = ordersTopic(`auto-${++counter}`);
    const producer = open(createProducer({ transport }));

    await producer.send(orders, placed('k', 1));

    expect(await transport.admin().partitionCount(orders.name)).toBe(3);
  });
});
