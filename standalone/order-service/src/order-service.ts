import { createConsumer, createMemoryVersionStore } from '@inlet/consumer';
import { ensureTopics } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { orderStatuses, orderStatusTopic } from './order-events.js';

export interface OrderServiceOptions {
  readonly brokers: readonly string[];
  readonly orders?: number;
  readonly log?: (line: string) => void;
}

/** One update as sent, with the event id the producer gave it. */
export interface SentUpdate {
  readonly id: string;
  readonly orderId: string;
  readonly revision: number;
  readonly status: string;
  readonly changedAt: string;
}

export interface OrderServiceReport {
  readonly topic: string;
  /** Every update sent, duplicates and late ones included, in the order sent. */
  readonly sent: readonly SentUpdate[];
  readonly updatesSent: number;
  /** Updates sent again with the same id, as a producer retry after a lost acknowledgement does. */
  readonly duplicatesSent: number;
  /** Older revisions sent again, with new ids, after the newer ones. */
  readonly lateUpdatesSent: number;
  readonly handled: number;
  readonly duplicatesAbsorbed: number;
  readonly staleSkipped: number;
  readonly deadLettered: number;
  readonly orders: number;
  /** Orders whose row ended at their last revision, shipped. */
  readonly ordersCorrect: number;
  /** Updates the handler saw for a revision not newer than the row's: must be 0. */
  readonly appliedBackwards: number;
  /** Event ids the handler saw more than once: must be 0. */
  readonly appliedTwice: number;
  readonly ok: boolean;
}

function statusChange(order: number, revision: number) {
  return {
    type: 'order.status-changed' as const,
    data: {
      orderId: `order-${order}`,
      revision,
      status: orderStatuses[revision - 1] ?? 'placed',
      changedAt: new Date(Date.now() - 60_000 + revision * 1_000).toISOString(),
    },
  };
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * Sends every order through placed → paid → shipped, with retried duplicates and late updates
 * mixed in, then keeps an order table from the topic with an idempotent, version-gated consumer.
 */
export async function runOrderService(options: OrderServiceOptions): Promise<OrderServiceReport> {
  const log = options.log ?? (() => undefined);
  const orderCount = options.orders ?? 4;
  const runId = Date.now().toString(36);
  const topic = orderStatusTopic(`order-service.status-changes.${runId}`);

  // Topics are made from their definitions before anything is sent; a missing topic fails sends.
  const admin = createKafkaJsTransport({ brokers: options.brokers, clientId: 'order-service' });
  try {
    const { created } = await ensureTopics(admin, [topic]);
    log(`topic ${topic.name}: ${created.length === 1 ? 'created' : 'already there'}`);
  } finally {
    await admin.close();
  }

  const producer = createProducer({
    brokers: options.brokers,
    connection: { clientId: 'order-service' },
    source: 'urn:svc:order-service',
  });
  let updatesSent = 0;
  let duplicatesSent = 0;
  let lateUpdatesSent = 0;
  const sentUpdates: SentUpdate[] = [];
  try {
    const updates = orderStatuses.flatMap((_, index) =>
      Array.from({ length: orderCount }, (_unused, order) => statusChange(order, index + 1)),
    );
    const sent = await producer.sendBatch(topic, updates);
    updatesSent = sent.length;
    for (const [index, result] of sent.entries()) {
      const update = updates[index];
      if (update !== undefined) sentUpdates.push({ id: result.id, ...update.data });
    }
    for (const [index, result] of sent.entries()) {
      const update = updates[index];
      if (update === undefined || update.data.revision !== 2) continue;
      await producer.send(topic, { ...update, id: result.id }); // the same event again
      sentUpdates.push({ id: result.id, ...update.data });
      duplicatesSent += 1;
    }
    for (let order = 0; order < orderCount; order += 2) {
      const late = statusChange(order, 1); // a stale "placed", arriving last
      const result = await producer.send(topic, late);
      sentUpdates.push({ id: result.id, ...late.data });
      lateUpdatesSent += 1;
    }
  } finally {
    await producer.close();
  }
  log(`sent ${updatesSent} updates, ${duplicatesSent} duplicates, ${lateUpdatesSent} late updates`);

  const table = new Map<string, { revision: number; status: string }>();
  const timesSeen = new Map<string, number>();
  let appliedBackwards = 0;
  const consumer = createConsumer({
    brokers: options.brokers,
    connection: { clientId: 'order-service' },
    groupId: `order-service.order-table.${runId}`,
    topics: [topic],
    autoOffsetReset: 'earliest',
    versionGate: { store: createMemoryVersionStore() },
    commitIntervalMs: 200,
    handle: async (event) => {
      timesSeen.set(event.id, (timesSeen.get(event.id) ?? 0) + 1);
      const row = table.get(event.data.orderId);
      if (row !== undefined && row.revision >= event.data.revision) appliedBackwards += 1;
      table.set(event.data.orderId, { revision: event.data.revision, status: event.data.status });
    },
  });
  const expected = updatesSent + duplicatesSent + lateUpdatesSent;
  let stats = consumer.stats();
  try {
    await consumer.start();
    await waitUntil(() => {
      stats = consumer.stats();
      return stats.handled + stats.duplicates + stats.stale + stats.deadLettered >= expected;
    }, 60_000);
    stats = consumer.stats();
  } finally {
    await consumer.close();
  }

  const lastRevision = orderStatuses.length;
  const ordersCorrect = Array.from({ length: orderCount }, (_, order) => table.get(`order-${order}`)).filter(
    (row) => row?.revision === lastRevision && row.status === 'shipped',
  ).length;
  const appliedTwice = [...timesSeen.values()].filter((count) => count > 1).length;
  const ok =
    stats.handled === updatesSent &&
    stats.duplicates === duplicatesSent &&
    stats.stale === lateUpdatesSent &&
    stats.deadLettered === 0 &&
    ordersCorrect === orderCount &&
    appliedBackwards === 0 &&
    appliedTwice === 0;
  return {
    topic: topic.name,
    sent: sentUpdates,
    updatesSent,
    duplicatesSent,
    lateUpdatesSent,
    handled: stats.handled,
    duplicatesAbsorbed: stats.duplicates,
    staleSkipped: stats.stale,
    deadLettered: stats.deadLettered,
    orders: orderCount,
    ordersCorrect,
    appliedBackwards,
    appliedTwice,
    ok,
  };
}
