import { createHash } from 'node:crypto';
import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { type DedicatedBroker, startDedicatedBroker, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { decodeAll, readTopic } from './fixtures/read-topic.fixture';
import { createProducer, type SendResult } from './producer';
import { SendFailedError } from './send-failed-error';

// These tests stop and start a broker of their own, never the shared one.
let broker: DedicatedBroker;
let transport: KafkaTransport;

beforeAll(async () => {
  broker = await startDedicatedBroker('producer-faults');
  transport = createKafkaJsTransport({
    brokers: broker.brokers,
    clientId: 'producer-faults',
    retry: { retries: 10, initialRetryTimeMs: 200, maxRetryTimeMs: 2_000 },
  });
}, 120_000);
afterAll(async () => {
  await transport?.close();
  await broker?.remove();
}, 120_000);

async function logEnd(topic: string): Promise<number> {
  const offsets = await transport.admin().topicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
}

function checksum(ids: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const id of [...ids].sort()) hash.update(id);
  return hash.digest('hex');
}

describe('producer while the broker restarts', () => {
  it('delivers every acknowledged event exactly once and reports every other one as failed', async () => {
    const orders = ordersTopic(uniqueName('restart'));
    await transport.admin().createTopics([{ topic: orders.name, partitions: 3 }]);
    const producer = createProducer({
      transport,
      linger: { ms: 5, maxRecords: 200 },
      retry: { minDelayMs: 200, maxDelayMs: 2_000, deliveryTimeoutMs: 60_000 },
    });
    const acknowledged = new Map<string, SendResult>();
    const failed = new Set<string>();
    let sequence = 0;
    let running = true;

    const workers = Array.from({ length: 8 }, async (_, worker) => {
      while (running) {
        sequence += 1;
        try {
          const result = await producer.send(orders, placed(`order-${worker}`, sequence));
          acknowledged.set(result.id, result);
        } catch (error) {
          if (!(error instanceof SendFailedError)) throw error;
          for (const id of error.eventIds) failed.add(id);
        }
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const beforeRestart = acknowledged.size;
    await broker.restart();
    const afterRestart = acknowledged.size;
    // The producer recovers: sends go through again after the restart.
    const recovered = Date.now() + 30_000;
    while (acknowledged.size < afterRestart + 500 && Date.now() < recovered) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    running = false;
    await Promise.all(workers);
    await producer.close();

    expect(beforeRestart).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThanOrEqual(afterRestart + 500);
    // Read to the end of the log: it may also hold events whose acknowledgement was lost.
    const end = await logEnd(orders.name);
    const records = await readTopic(broker.brokers, orders.name, (seen) => seen.length >= end, {
      timeoutMs: 60_000,
      settleMs: 1_000,
    });
    expect(records).toHaveLength(end);
    const ids = decodeAll(records, orders).map((event) => event.id);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);

    // Every acknowledged event is there exactly once.
    for (const id of acknowledged.keys()) expect(counts.get(id), id).toBe(1);
    // Nothing is there that was neither acknowledged nor reported failed.
    for (const id of counts.keys()) expect(acknowledged.has(id) || failed.has(id), id).toBe(true);
    const onlyAcknowledged = ids.filter((id) => acknowledged.has(id));
    expect(checksum(onlyAcknowledged)).toBe(checksum(acknowledged.keys()));
  }, 180_000);
});

describe('producer while the broker is down for longer than the delivery timeout', () => {
  it('fails what it cannot deliver, loses nothing silently, and recovers', async () => {
    const orders = ordersTopic(uniqueName('outage'));
    await transport.admin().createTopics([{ topic: orders.name, partitions: 2 }]);
    const producer = createProducer({
      transport,
      linger: { ms: 5 },
      retry: { minDelayMs: 100, maxDelayMs: 500, deliveryTimeoutMs: 4_000 },
    });
    const acknowledged = new Set<string>();
    const failed = new Set<string>();
    let calls = 0;
    let running = true;
    const workers = Array.from({ length: 4 }, async (_, worker) => {
      let sequence = 0;
      while (running) {
        sequence += 1;
        calls += 1;
        try {
          acknowledged.add((await producer.send(orders, placed(`order-${worker}`, sequence))).id);
        } catch (error) {
          if (!(error instanceof SendFailedError)) throw error;
          for (const id of error.eventIds) failed.add(id);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await broker.kill();
    // Down for longer than the delivery timeout: what was in flight must fail, and say so.
    const failedBy = Date.now() + 20_000;
    while (failed.size === 0 && Date.now() < failedBy)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await broker.start();
    const ackedAtRestart = acknowledged.size;
    const recoveredBy = Date.now() + 60_000;
    while (acknowledged.size < ackedAtRestart + 200 && Date.now() < recoveredBy) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    running = false;
    await Promise.all(workers);
    await producer.close();

    expect(failed.size).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThanOrEqual(ackedAtRestart + 200);
    // Every send call ended one way or the other.
    expect(acknowledged.size + failed.size).toBe(calls);
    const end = await logEnd(orders.name);
    const records = await readTopic(broker.brokers, orders.name, (seen) => seen.length >= end, {
      timeoutMs: 60_000,
      settleMs: 1_000,
    });
    expect(records).toHaveLength(end);
    const counts = new Map<string, number>();
    for (const event of decodeAll(records, orders)) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
    for (const id of acknowledged) expect(counts.get(id), id).toBe(1);
    for (const [id, count] of counts) {
      expect(acknowledged.has(id) || failed.has(id), id).toBe(true);
      expect(count, id).toBe(1);
    }
  }, 240_000);
});
