import { createInMemoryBackbone } from '@inlet/backbone';
import {
  createConsumer,
  createMemoryVersionStore,
  createRedisDedupStore,
  type DedupStore,
} from '@inlet/consumer';
import {
  decodeEventRecord,
  defineEvent,
  defineTopic,
  ensureTopics,
  headerViews,
  type KafkaTransport,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { Redis } from 'ioredis';
import type { Arm, Scenario } from '../harness';
import { benchKafka, benchTopicName, createTopic, deleteTopics } from '../kafka';
import { type OrderData, OrderPlacedAvro, orderAvroSchema, sampleOrders } from './envelope';

// The consumer against raw kafkajs on the same topic in the same run. Both are timed from the
// first event handled to the last, so group joins do not count.

const partitions = 3;

/** The bench's order, with an entity version per order (its `total` counts up per order id). */
const OrderRevisedAvro = defineEvent({
  type: 'order.placed',
  version: 1,
  schema: orderAvroSchema,
  key: (order) => order.orderId,
  eventTime: (order) => order.placedAt,
  entityVersion: (order) => Math.floor(order.total),
});

interface Prefilled {
  readonly transport: KafkaTransport;
  readonly topic: ReturnType<typeof defineTopic<readonly [typeof OrderPlacedAvro]>>;
  readonly count: number;
  cleanup(): Promise<void>;
}

async function prefill(
  brokers: readonly string[],
  count: number,
  keys: number,
  definition: typeof OrderPlacedAvro = OrderPlacedAvro,
): Promise<Prefilled> {
  const kafka = benchKafka(brokers);
  const name = benchTopicName('consumer');
  await createTopic(kafka, name, partitions);
  const topic = defineTopic({ name, events: [definition] });
  const transport = createKafkaJsTransport({ brokers, clientId: 'bench-consumer' });
  const producer = createProducer({ transport, linger: { ms: 0 } });
  // Each order id's total counts up, so that it can serve as an entity version.
  const orders = sampleOrders(count).map((order, index) => ({
    ...order,
    orderId: `order-${index % keys}`,
    total: index,
  }));
  for (let start = 0; start < orders.length; start += 1000) {
    await producer.sendBatch(
      topic,
      orders.slice(start, start + 1000).map((data) => ({ type: 'order.placed' as const, data })),
    );
  }
  await producer.close();
  return {
    transport,
    topic,
    count,
    async cleanup() {
      await transport.close();
      await deleteTopics(kafka, [name]);
    },
  };
}

let groupCounter = 0;
const freshGroup = (label: string) => `bench-${label}-${Date.now().toString(36)}-${++groupCounter}`;

/** Inlet's consumer over the prefilled topic with a fresh group; times first to last event. */
function inletArm(
  label: string,
  prefilled: Prefilled,
  handler: (data: OrderData) => Promise<void>,
  extra: {
    readonly dedup?: { readonly store: DedupStore } | false;
    readonly maxConcurrency?: number;
    readonly mode?: 'handle' | 'handleBatch';
    readonly versionGate?: boolean;
  } = {},
): Arm {
  return {
    label,
    async run() {
      let first = 0;
      let last = 0;
      let handled = 0;
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const counted = (events: number) => {
        handled += events;
        if (handled === prefilled.count) {
          last = performance.now();
          done();
        }
      };
      const common = {
        transport: prefilled.transport,
        groupId: freshGroup('inlet'),
        topics: [prefilled.topic],
        maxConcurrency: extra.maxConcurrency ?? 64,
        ...(extra.dedup === undefined ? {} : { dedup: extra.dedup }),
        ...(extra.versionGate ? { versionGate: { store: createMemoryVersionStore() } } : {}),
      };
      const consumer =
        extra.mode === 'handleBatch'
          ? createConsumer({
              ...common,
              handleBatch: async (events) => {
                if (first === 0) first = performance.now();
                for (const event of events) await handler(event.data);
                counted(events.length);
              },
            })
          : createConsumer({
              ...common,
              handle: async (event) => {
                if (first === 0) first = performance.now();
                await handler(event.data);
                counted(1);
              },
            });
      await consumer.start();
      await finished;
      // Everything handled, skipped or dead-lettered: a run that lost events would not get here.
      const { duplicates, stale, deadLettered } = consumer.stats();
      await consumer.close();
      if (duplicates + stale + deadLettered > 0) throw new Error(`${label}: events were not all handled`);
      return { work: handled, wallSeconds: (last - first) / 1000 };
    },
  };
}

/** Raw kafkajs over the same topic, decoding each record (Inlet's decoder) and awaiting `handler`. */
function rawArm(
  label: string,
  brokers: readonly string[],
  prefilled: Prefilled,
  handler: (data: OrderData) => Promise<void>,
  mode: 'eachBatch' | 'eachMessage',
): Arm {
  return {
    label,
    async run() {
      const consumer = benchKafka(brokers, 'bench-raw').consumer({ groupId: freshGroup('raw') });
      await consumer.connect();
      await consumer.subscribe({ topic: prefilled.topic.name, fromBeginning: true });
      let first = 0;
      let last = 0;
      let handled = 0;
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const decode = (
        message: {
          key: Buffer | null;
          value: Buffer | null;
          headers?: Record<string, unknown>;
          offset: string;
          timestamp: string;
        },
        partition: number,
      ) =>
        decodeEventRecord(
          {
            topic: prefilled.topic.name,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            ...headerViews(
              Object.entries(message.headers ?? {}).map(([name, value]) => ({
                name,
                value: value as Buffer,
              })),
            ),
            timestamp: Number(message.timestamp),
          },
          prefilled.topic,
        ).data as OrderData;
      const count = () => {
        handled += 1;
        if (handled === prefilled.count) {
          last = performance.now();
          done();
        }
      };
      if (mode === 'eachBatch') {
        await consumer.run({
          eachBatch: async ({ batch }) => {
            if (first === 0) first = performance.now();
            for (const message of batch.messages) {
              await handler(decode(message, batch.partition));
              count();
            }
          },
        });
      } else {
        await consumer.run({
          partitionsConsumedConcurrently: partitions,
          eachMessage: async ({ message, partition }) => {
            if (first === 0) first = performance.now();
            await handler(decode(message, partition));
            count();
          },
        });
      }
      await finished;
      await consumer.disconnect();
      return { work: handled, wallSeconds: (last - first) / 1000 };
    },
  };
}

const noop = async () => undefined;
const ioBound = () => new Promise<void>((resolve) => setTimeout(resolve, 2));

const noopScenario: Scenario = {
  name: 'consumer-noop',
  group: 'consumer',
  description:
    'Inlet consumer (decode + in-memory dedup + per-key ordering, no-op handler, 3 partitions, 1000 keys) vs raw ' +
    'kafkajs eachBatch doing the same decode only, over the same prefilled topic (Avro events)',
  unit: 'events/s',
  better: 'higher',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const prefilled = await prefill(brokers, quick ? 10_000 : 50_000, 1000);
    return {
      ours: inletArm('inlet consumer (no-op)', prefilled, noop),
      baseline: rawArm('kafkajs eachBatch + decode', brokers, prefilled, noop, 'eachBatch'),
      teardown: () => prefilled.cleanup(),
    };
  },
};

const batchChecksScenario: Scenario = {
  name: 'consumer-batch-checks',
  group: 'consumer',
  description:
    'Inlet consumer with handleBatch, the default in-memory dedup and a version gate (every event checked for ' +
    'duplicates and staleness in offset order, marked and its version recorded), no-op handler, 3 partitions, ' +
    '1000 keys, vs raw kafkajs eachBatch doing the decode only, over the same prefilled topic (Avro events)',
  unit: 'events/s',
  better: 'higher',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const prefilled = await prefill(brokers, quick ? 10_000 : 50_000, 1000, OrderRevisedAvro);
    return {
      ours: inletArm('inlet handleBatch + dedup + version gate', prefilled, noop, {
        mode: 'handleBatch',
        versionGate: true,
      }),
      baseline: rawArm('kafkajs eachBatch + decode', brokers, prefilled, noop, 'eachBatch'),
      teardown: () => prefilled.cleanup(),
    };
  },
};

const ioScenario: Scenario = {
  name: 'consumer-io-bound',
  group: 'consumer',
  description:
    'a handler that awaits 2 ms per event, 3 partitions, 1000 keys: Inlet per-key concurrency (64 keys at once) vs ' +
    'raw kafkajs eachMessage with partitionsConsumedConcurrently = 3',
  unit: 'events/s',
  better: 'higher',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const prefilled = await prefill(brokers, quick ? 1_500 : 6_000, 1000);
    return {
      ours: inletArm('inlet consumer, 64 keys at once', prefilled, ioBound),
      baseline: rawArm('kafkajs eachMessage x3 partitions', brokers, prefilled, ioBound, 'eachMessage'),
      teardown: () => prefilled.cleanup(),
    };
  },
};

/** A backbone prefilled with events, so the dedup scenarios measure the consumer, not the network. */
async function prefillInMemory(count: number, keys: number): Promise<Prefilled> {
  const transport = createInMemoryBackbone();
  const topic = defineTopic({ name: 'dedup-bench', events: [OrderPlacedAvro], partitions });
  await ensureTopics(transport, [topic]);
  const producer = createProducer({ transport, linger: { ms: 0 } });
  const orders = sampleOrders(count).map((order, index) => ({ ...order, orderId: `order-${index % keys}` }));
  for (let start = 0; start < orders.length; start += 1000) {
    await producer.sendBatch(
      topic,
      orders.slice(start, start + 1000).map((data) => ({ type: 'order.placed' as const, data })),
    );
  }
  await producer.close();
  return { transport, topic, count, cleanup: () => transport.close() };
}

function dedupScenario(store: 'memory' | 'redis'): Scenario {
  return {
    name: `consumer-dedup-${store}`,
    group: 'consumer',
    description:
      `what deduplication costs per event: the Inlet consumer with the ${store === 'memory' ? 'in-memory (lru-cache)' : 'Redis'} ` +
      'dedup store (a seen check and a mark per event) vs the same consumer with dedup off, no-op handler, events ' +
      'from the in-memory backbone (so the broker does not blur the difference)',
    unit: 'events/s',
    better: 'higher',
    needsKafka: false,
    pairs: 5,
    async prepare({ quick }) {
      const prefilled = await prefillInMemory(quick ? 5_000 : 30_000, 1000);
      const redis =
        store === 'redis' ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
      let run = 0;
      const storeFor = (): DedupStore =>
        createRedisDedupStore({ redis: redis as Redis, prefix: `inlet-bench:${Date.now()}:${++run}:` });
      // The in-memory store is measured as users get it: the default, which the consumer creates
      // and calls directly (a store passed in is treated as remote and its calls coalesced).
      const withDedup: Arm = {
        label: `dedup on (${store})`,
        run: () =>
          inletArm(
            `dedup ${store}`,
            prefilled,
            noop,
            store === 'memory' ? {} : { dedup: { store: storeFor() } },
          ).run(),
      };
      return {
        ours: withDedup,
        baseline: inletArm('dedup off', prefilled, noop, { dedup: false }),
        async teardown() {
          await prefilled.cleanup();
          if (redis !== undefined) {
            const keys = await redis.keys('inlet-bench:*');
            for (let start = 0; start < keys.length; start += 1000)
              await redis.del(...keys.slice(start, start + 1000));
            redis.disconnect();
          }
        },
      };
    },
  };
}

export const consumerScenarios: readonly Scenario[] = [
  noopScenario,
  batchChecksScenario,
  ioScenario,
  dedupScenario('memory'),
  dedupScenario('redis'),
];
