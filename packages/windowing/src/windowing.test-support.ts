import { randomUUID } from 'node:crypto';
import { createConsumer, isTombstone } from '@inlet/consumer';
import { defineEvent, defineTopic, jsonSchema, type KafkaTransport, partitionForKey } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { windowResultTopic } from './window-results';

export const Sale = defineEvent({
  type: 'sale.made',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: { store: { type: 'string' }, amount: { type: 'number' }, at: { type: 'integer' } },
    required: ['store', 'amount', 'at'],
    additionalProperties: false,
  }),
  key: (sale) => sale.store,
  eventTime: (sale) => sale.at,
});

export type SalesTopic = ReturnType<typeof salesTopic>;
export function salesTopic(name: string, partitions = 3) {
  return defineTopic({ name, events: [Sale], partitions });
}

export interface SaleRecord {
  readonly store: string;
  readonly amount: number;
  readonly at: number;
}

/** Sends sales in order, each awaited in batches (so partitions interleave as they would live). */
export async function produceSales(
  transport: KafkaTransport,
  topic: SalesTopic,
  sales: readonly SaleRecord[],
): Promise<void> {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  try {
    for (let index = 0; index < sales.length; index += 500) {
      await producer.sendBatch(
        topic,
        sales.slice(index, index + 500).map((data) => ({ type: 'sale.made' as const, data })),
      );
    }
  } finally {
    await producer.close();
  }
}

/** Per tumbling window `key@start`: the count and sum, computed from the events directly. */
export function batchTumbling(
  sales: readonly SaleRecord[],
  sizeMs: number,
): Map<string, { count: number; sum: number }> {
  const windows = new Map<string, { count: number; sum: number }>();
  for (const sale of sales) {
    const start = Math.floor(sale.at / sizeMs) * sizeMs;
    const id = `${sale.store}@${start}`;
    const window = windows.get(id) ?? { count: 0, sum: 0 };
    window.count += 1;
    window.sum += sale.amount;
    windows.set(id, window);
  }
  return windows;
}

/**
 * Reads a result topic from the start as a downstream reader would: per window the newest
 * revision, a retraction removing it. Returns `key@startMs` → value. Reads until it has seen
 * `expected` records (results and retractions).
 */
export async function readResults(
  transport: KafkaTransport,
  topic: string,
  expected: number,
): Promise<Map<string, unknown>> {
  const latest = new Map<string, { revision: number; value: unknown }>();
  let seen = 0;
  const consumer = createConsumer({
    transport,
    groupId: `results-${randomUUID()}`,
    topics: [windowResultTopic(topic)],
    tombstones: 'deliver',
    dedup: false,
    handle: async (event) => {
      seen++;
      const id = typeof event.key === 'string' ? event.key : Buffer.from(event.key).toString('utf8');
      const revision = event.entityVersion ?? 0;
      const current = latest.get(id);
      if (current !== undefined && current.revision >= revision) return;
      latest.set(id, { revision, value: isTombstone(event) ? undefined : event.data });
    },
  });
  await consumer.start();
  try {
    const deadline = Date.now() + 60_000;
    while (seen < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await consumer.close();
  }
  const folded = new Map<string, unknown>();
  for (const { value } of latest.values()) {
    if (value === undefined) continue;
    const data = value as { windowKey: string; startMs: number; value: unknown };
    folded.set(`${data.windowKey}@${data.startMs}`, data.value);
  }
  if (seen < expected) throw new Error(`read ${seen} results and retractions, expected ${expected}`);
  return folded;
}

/** One store key per partition: a sale on each closes every window before it without idleness. */
export function storePerPartition(partitions = 3, prefix = 'close'): string[] {
  return Array.from({ length: partitions }, (_, partition) => {
    for (let index = 0; ; index++) {
      const store = `${prefix}-${index}`;
      if (partitionForKey(Buffer.from(store), partitions) === partition) return store;
    }
  });
}

export const minute = 60_000;

/**
 * A minute boundary three hours back, for event times on a broker: records are stamped with their
 * event time, and a topic's time-based retention (7 days by default) would delete records dated
 * much earlier while a test runs.
 */
export function recentMinute(): number {
  return Math.floor((Date.now() - 3 * 3_600_000) / minute) * minute;
}

/** One sale per store of `sales`, two hours after the last: every partition's watermark passes every window before it. */
export function closingSales(sales: readonly SaleRecord[]): SaleRecord[] {
  const last = Math.max(...sales.map((sale) => sale.at));
  return [...new Set(sales.map((sale) => sale.store))].map((store) => ({
    store,
    amount: 0,
    at: last + 120 * minute,
  }));
}
