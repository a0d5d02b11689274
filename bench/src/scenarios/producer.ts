import {
  createEvent,
  createUuidV7Generator,
  defineTopic,
  type EventDefinition,
  encodeEventRecord,
  type KafkaTransport,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer, type ProducerOptions } from '@inlet/producer';
import type { Message, Producer } from 'kafkajs';
import { type Arm, median, percentile, type Scenario } from '../harness';
import { benchKafka, benchTopicName, createTopic, deleteTopics } from '../kafka';
import { type OrderData, OrderPlacedAvro, OrderPlacedJson, sampleOrders } from './envelope';

// The producer against raw kafkajs doing the same work in the same run. Raw kafkajs is given the
// records Inlet would write (same keys, values and headers, encoded beforehand), so the ratio is
// what Inlet's validation, stamping, encoding and batching cost on top of the wire work.

const partitions = 3;

function preEncoded(
  definition: EventDefinition<string, OrderData>,
  orders: readonly OrderData[],
  topic: string,
): Message[] {
  const newId = createUuidV7Generator();
  const now = Date.now();
  return orders.map((order) => {
    const event = createEvent(definition, order, { source: 'urn:inlet:bench', newId, now });
    const record = encodeEventRecord(topic, event, definition);
    return {
      key: record.key,
      value: record.value,
      headers: record.headers as Record<string, string>,
      timestamp: String(record.timestamp),
    };
  });
}

async function rawProducer(brokers: readonly string[]): Promise<Producer> {
  const producer = benchKafka(brokers, 'bench-raw').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}

/** What every producer scenario sets up: a topic per arm, Inlet's producer and a raw one. */
async function producerArena(
  brokers: readonly string[],
  name: string,
  options: Omit<ProducerOptions, 'transport' | 'brokers'> = {},
) {
  const kafka = benchKafka(brokers);
  const oursTopic = benchTopicName(`producer-${name}-ours`);
  const rawTopic = benchTopicName(`producer-${name}-raw`);
  await createTopic(kafka, oursTopic, partitions);
  await createTopic(kafka, rawTopic, partitions);
  const transport: KafkaTransport = createKafkaJsTransport({ brokers, clientId: 'bench-inlet' });
  const producer = createProducer({ ...options, transport });
  const raw = await rawProducer(brokers);
  return {
    oursTopic,
    rawTopic,
    producer,
    raw,
    async teardown() {
      await producer.close();
      await transport.close();
      await raw.disconnect();
      await deleteTopics(kafka, [oursTopic, rawTopic]);
    },
  };
}

function sendBatchScenario(format: 'avro' | 'json'): Scenario {
  const definition = (format === 'avro' ? OrderPlacedAvro : OrderPlacedJson) as EventDefinition<
    string,
    OrderData
  >;
  const batchSize = 1000;
  return {
    name: `producer-sendbatch-${format}`,
    group: 'producer',
    description:
      `Inlet producer.sendBatch (${batchSize} events per awaited call: validation, envelope, ${format === 'avro' ? 'Avro' : 'JSON Schema'} ` +
      `encoding, batching; acks=-1, idempotent, ${partitions} partitions) vs raw kafkajs sendBatch of the same records encoded beforehand`,
    unit: 'events/s',
    better: 'higher',
    needsKafka: true,
    pairs: 6,
    async prepare({ brokers, quick }) {
      const arena = await producerArena(brokers, format, {
        linger: { ms: 0, maxRecords: batchSize },
        buffer: { maxRecords: 20_000 },
      });
      const { oursTopic, rawTopic, producer, raw } = arena;
      const orders = sampleOrders(quick ? 10_000 : 50_000);
      const topic = defineTopic({ name: oursTopic, events: [definition] });
      const rawMessages = preEncoded(definition, orders, rawTopic);
      const ours: Arm = {
        label: `inlet sendBatch (${format})`,
        async run() {
          for (let start = 0; start < orders.length; start += batchSize) {
            const events = orders
              .slice(start, start + batchSize)
              .map((data) => ({ type: 'order.placed' as const, data }));
            await producer.sendBatch(topic, events as never);
          }
          return { work: orders.length };
        },
      };
      const baseline: Arm = {
        label: 'kafkajs sendBatch (pre-encoded)',
        async run() {
          for (let start = 0; start < rawMessages.length; start += batchSize) {
            await raw.sendBatch({
              acks: -1,
              topicMessages: [{ topic: rawTopic, messages: rawMessages.slice(start, start + batchSize) }],
            });
          }
          return { work: rawMessages.length };
        },
      };
      return {
        ours,
        baseline,
        teardown: arena.teardown,
      };
    },
  };
}

async function concurrentSends(
  workers: number,
  total: number,
  sendOne: (index: number) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        const index = next;
        next += 1;
        const started = performance.now();
        await sendOne(index);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

const awaitedSends: Scenario = {
  name: 'producer-send-linger',
  group: 'producer',
  description:
    '64 concurrent callers each awaiting one send() at a time (a service emitting per request): Inlet send() with ' +
    'default linger (1 ms; Avro, acks=-1) vs raw kafkajs producer.send() of one pre-encoded record per call',
  unit: 'events/s',
  better: 'higher',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const arena = await producerArena(brokers, 'send');
    const { oursTopic, rawTopic, producer, raw } = arena;
    const orders = sampleOrders(quick ? 2_000 : 10_000);
    const topic = defineTopic({ name: oursTopic, events: [OrderPlacedAvro] });
    const rawMessages = preEncoded(OrderPlacedAvro as EventDefinition<string, OrderData>, orders, rawTopic);
    const workers = 64;
    const ours: Arm = {
      label: 'inlet send() x64 concurrent',
      async run() {
        const latencies = await concurrentSends(workers, orders.length, (index) =>
          producer.send(topic, { type: 'order.placed', data: orders[index] as OrderData }),
        );
        return {
          work: orders.length,
          extra: { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) },
        };
      },
    };
    const baseline: Arm = {
      label: 'kafkajs send() x64 concurrent',
      async run() {
        const latencies = await concurrentSends(workers, rawMessages.length, (index) =>
          raw.send({ topic: rawTopic, acks: -1, messages: [rawMessages[index] as Message] }),
        );
        return {
          work: rawMessages.length,
          extra: { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) },
        };
      },
    };
    return {
      ours,
      baseline,
      teardown: arena.teardown,
    };
  },
};

async function atFixedRate(
  ratePerSecond: number,
  total: number,
  sendOne: (index: number) => Promise<unknown>,
) {
  const latencies: number[] = [];
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  for (let index = 0; index < total; index += 1) {
    const due = started + (index * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = performance.now();
    pending.push(sendOne(index).then(() => latencies.push(performance.now() - sentAt)));
  }
  await Promise.all(pending);
  return latencies;
}

const fixedRateLatency: Scenario = {
  name: 'producer-ack-latency',
  group: 'producer',
  description:
    'p99 ack latency at a fixed 2,000 events/s, one send() per event without awaiting the previous one: Inlet ' +
    '(default 1 ms linger, Avro) vs raw kafkajs send() of one pre-encoded record per call (p50 in extra)',
  unit: 'ms (p99)',
  better: 'lower',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const arena = await producerArena(brokers, 'latency');
    const { oursTopic, rawTopic, producer, raw } = arena;
    const total = quick ? 1_000 : 4_000;
    const orders = sampleOrders(total);
    const topic = defineTopic({ name: oursTopic, events: [OrderPlacedAvro] });
    const rawMessages = preEncoded(OrderPlacedAvro as EventDefinition<string, OrderData>, orders, rawTopic);
    const rate = 2_000;
    const summary = (latencies: number[]) => ({
      work: latencies.length,
      value: percentile(latencies, 0.99),
      extra: { p50Ms: median(latencies), p99Ms: percentile(latencies, 0.99) },
    });
    return {
      ours: {
        label: 'inlet send() at 2k/s',
        run: async () =>
          summary(
            await atFixedRate(rate, total, (index) =>
              producer.send(topic, { type: 'order.placed', data: orders[index] as OrderData }),
            ),
          ),
      },
      baseline: {
        label: 'kafkajs send() at 2k/s',
        run: async () =>
          summary(
            await atFixedRate(rate, total, (index) =>
              raw.send({ topic: rawTopic, acks: -1, messages: [rawMessages[index] as Message] }),
            ),
          ),
      },
      teardown: arena.teardown,
    };
  },
};

export const producerScenarios: readonly Scenario[] = [
  sendBatchScenario('avro'),
  sendBatchScenario('json'),
  awaitedSends,
  fixedRateLatency,
];
