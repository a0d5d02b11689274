import { createInMemoryBackbone } from '@inlet/backbone';
import { createConsumer, createMemoryVersionStore } from '@inlet/consumer';
import { defineEvent, defineTopic, ensureTopics, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';

// The demo pipeline: a producer emits order updates the way real systems do (retries that
// duplicate events, updates that arrive late and out of order, a few broken records), and an
// idempotent consumer maintains an order table from them. At the end the table must equal what
// the updates mean: every order at its latest revision, no update applied twice or backwards.

export const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string', minLength: 1 },
      revision: { type: 'integer', minimum: 0 },
      status: { enum: ['placed', 'paid', 'packed', 'shipped', 'delivered'] },
      total: { type: 'number', minimum: 0 },
      updatedAt: { type: 'string' },
    },
    required: ['orderId', 'revision', 'status', 'total', 'updatedAt'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.updatedAt,
  entityVersion: (order) => order.revision,
});

export interface DemoOptions {
  /** Real brokers; the embedded in-memory backbone when absent. */
  readonly brokers?: readonly string[];
  readonly orders?: number;
  readonly revisionsPerOrder?: number;
  /** Progress lines go here. */
  readonly log?: (line: string) => void;
}

export interface DemoReport {
  readonly backbone: 'embedded' | 'kafka';
  readonly topic: string;
  readonly produced: number;
  /** Events sent again with the same id (what a producer retry does). */
  readonly duplicatesSent: number;
  /** Older revisions sent after newer ones. */
  readonly lateUpdatesSent: number;
  readonly brokenRecordsSent: number;
  readonly handled: number;
  readonly duplicatesAbsorbed: number;
  readonly staleSkipped: number;
  readonly deadLettered: number;
  /** Orders whose final state is their latest revision. */
  readonly ordersCorrect: number;
  readonly orders: number;
  /** Updates applied to an order at or below its current revision: must be 0. */
  readonly appliedOutOfOrder: number;
  readonly ok: boolean;
}

const statuses = ['placed', 'paid', 'packed', 'shipped', 'delivered'] as const;

function update(orderId: number, revision: number) {
  return {
    type: 'order.updated' as const,
    data: {
      orderId: `order-${orderId}`,
      revision,
      status: statuses[Math.min(revision, statuses.length - 1)] ?? 'placed',
      total: 10 + orderId,
      updatedAt: new Date(Date.now() - 60_000 + revision).toISOString(),
    },
  };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const log = options.log ?? (() => undefined);
  const orderCount = options.orders ?? 50;
  const revisions = options.revisionsPerOrder ?? 20;
  const transport: KafkaTransport =
    options.brokers === undefined
      ? createInMemoryBackbone({ defaultPartitions: 3 })
      : createKafkaJsTransport({ brokers: options.brokers, clientId: 'inlet-demo' });
  const topic = defineTopic({
    name: `demo.orders.${Date.now().toString(36)}`,
    events: [OrderUpdated],
    partitions: 3,
  });
  await ensureTopics(transport, [topic]);
  log(
    `backbone: ${options.brokers === undefined ? 'embedded (in-memory)' : `Kafka at ${options.brokers.join(',')}`}, topic ${topic.name}`,
  );

  const table = new Map<string, { revision: number; status: string }>();
  let appliedOutOfOrder = 0;
  const consumer = createConsumer({
    transport,
    groupId: `${topic.name}.order-table`,
    topics: [topic],
    versionGate: { store: createMemoryVersionStore() },
    retry: { retries: 2, minDelayMs: 10, maxDelayMs: 50 },
    commitIntervalMs: 100,
    handle: async (event) => {
      const current = table.get(event.data.orderId);
      if (current !== undefined && current.revision >= event.data.revision) appliedOutOfOrder += 1;
      table.set(event.data.orderId, { revision: event.data.revision, status: event.data.status });
    },
  });
  await consumer.start();

  const producer = createProducer({ transport });
  let produced = 0;
  let duplicatesSent = 0;
  let lateUpdatesSent = 0;
  for (let revision = 0; revision < revisions; revision += 1) {
    const results = await producer.sendBatch(
      topic,
      Array.from({ length: orderCount }, (_, order) => update(order, revision)),
    );
    produced += results.length;
    // A retry after a lost acknowledgement sends the same event again, with the same id.
    for (const [order, result] of results.entries()) {
      if ((order + revision) % 10 !== 0) continue;
      await producer.send(topic, { ...update(order, revision), id: result.id });
      duplicatesSent += 1;
    }
    // A slow device finally delivers an update it made three revisions ago.
    if (revision >= 3 && revision % 4 === 0) {
      await producer.sendBatch(
        topic,
        Array.from({ length: 5 }, (_, order) => update(order, revision - 3)),
      );
      lateUpdatesSent += 5;
    }
  }
  // Records nobody can read: garbage bytes, and an update that breaks the schema.
  const raw = transport.producer();
  await raw.send([
    { topic: topic.name, key: Buffer.from('order-1'), value: Buffer.from('\u0000not an event'), headers: {} },
    {
      topic: topic.name,
      key: Buffer.from('order-2'),
      value: Buffer.from(JSON.stringify({ orderId: 'order-2', revision: -1 })),
      headers: {
        ce_specversion: '1.0',
        ce_id: 'broken-update',
        ce_source: 'urn:demo:legacy-system',
        ce_type: 'order.updated',
        ce_time: new Date().toISOString(),
        'content-type': 'application/json',
      },
    },
  ]);
  await raw.close();
  const brokenRecordsSent = 2;
  await producer.close();
  log(
    `produced ${produced} updates, ${duplicatesSent} duplicates, ${lateUpdatesSent} late updates, ${brokenRecordsSent} broken records`,
  );

  // Everything produced so far is handled, skipped or dead-lettered, and committable.
  await consumer.caughtUp({ timeoutMs: 60_000 });
  const stats = consumer.stats();
  await consumer.close();
  await transport.close();

  let ordersCorrect = 0;
  for (let order = 0; order < orderCount; order += 1) {
    if (table.get(`order-${order}`)?.revision === revisions - 1) ordersCorrect += 1;
  }
  const report: DemoReport = {
    backbone: options.brokers === undefined ? 'embedded' : 'kafka',
    topic: topic.name,
    produced,
    duplicatesSent,
    lateUpdatesSent,
    brokenRecordsSent,
    handled: stats.handled,
    duplicatesAbsorbed: stats.duplicates,
    staleSkipped: stats.stale,
    deadLettered: stats.deadLettered,
    ordersCorrect,
    orders: orderCount,
    appliedOutOfOrder,
    ok:
      ordersCorrect === orderCount &&
      appliedOutOfOrder === 0 &&
      stats.handled === produced &&
      stats.duplicates === duplicatesSent &&
      stats.stale === lateUpdatesSent &&
      stats.deadLettered === brokenRecordsSent,
  };
  return report;
}
