import { randomUUID } from 'node:crypto';
import {
  avroSchema,
  type ContentMode,
  decodeEventRecord,
  defineEvent,
  defineTopic,
  headerViews,
  type KafkaTransport,
  type PayloadCodec,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { createConfluentRegistry, createSchemaResolver } from '@inlet/schema';
import { count, createWindowing, tumbling } from '@inlet/windowing';
import type { Arm, ArmRun, Scenario } from '../harness';
import { benchKafka, benchTopicName, createTopic, deleteTopics } from '../kafka';
import { deleteKafkaStreamsLeftovers, runKafkaStreamsWindowedCount } from '../peers/kafka-streams';

// Windowing through the real broker: a tumbling one-minute count per user over Avro events
// (registry-framed), with the changelog and a result topic, against consuming the same topic with
// raw kafkajs eachBatch and decoding only: windowing should never be the bottleneck.

const partitions = 3;
const keys = 10_000;
const windowMs = 60_000;
export const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

export const clickSchema = avroSchema({
  type: 'record',
  name: 'Click',
  namespace: 'dev.inlet.bench',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'page', type: 'string' },
    { name: 'at', type: 'long' },
  ],
});

export const Clicked = defineEvent({
  type: 'page.clicked',
  version: 1,
  schema: clickSchema,
  key: (click) => click.user,
  eventTime: (click) => Number(click.at),
});

export interface PrefilledClicks {
  readonly transport: KafkaTransport;
  readonly topic: ReturnType<typeof defineTopic<readonly [typeof Clicked]>>;
  readonly count: number;
  readonly registry: ReturnType<typeof createSchemaResolver>;
  cleanup(): Promise<void>;
}

/**
 * `total` clicks over `keys` users spread over three minutes of event time (150 000 clicks: one per
 * 1.2 ms, five per user and minute), so that windows close during the run.
 */
export async function prefillClicks(brokers: readonly string[], total: number): Promise<PrefilledClicks> {
  const kafka = benchKafka(brokers);
  const name = benchTopicName('windowing');
  await createTopic(kafka, name, partitions);
  const topic = defineTopic({ name, events: [Clicked] });
  const transport = createKafkaJsTransport({ brokers, clientId: 'bench-windowing' });
  const registry = createSchemaResolver({ registry: createConfluentRegistry({ url: registryUrl }) });
  const producer = createProducer({ transport, registry, linger: { ms: 0 } });
  // Hours back, on a minute: records are stamped with event time, and time-based retention would
  // delete much older ones while the bench runs.
  const base = Math.floor((Date.now() - 4 * 3_600_000) / windowMs) * windowMs;
  const stepMs = 180_000 / total;
  for (let start = 0; start < total; start += 1000) {
    const clicks = Array.from({ length: Math.min(1000, total - start) }, (_, offset) => {
      const index = start + offset;
      return {
        user: `user-${(index * 7_919) % keys}`,
        page: `/p/${index % 50}`,
        at: Math.floor(base + index * stepMs),
      };
    });
    await producer.sendBatch(
      topic,
      clicks.map((data) => ({ type: 'page.clicked' as const, data })),
    );
  }
  await producer.close();
  const created: string[] = [name];
  return {
    transport,
    topic,
    count: total,
    registry,
    async cleanup() {
      await transport.close();
      const admin = kafka.admin();
      await admin.connect();
      const leftovers = (await admin.listTopics()).filter((topicName) => topicName.includes(name));
      await admin.disconnect();
      await deleteTopics(kafka, [...new Set([...created, ...leftovers])]);
    },
  };
}

/** Inlet windowing over the prefilled topic, fresh group: timed from the first event taken to the last. */
export function windowingArm(prefilled: PrefilledClicks, contentMode: ContentMode = 'binary'): Arm {
  return {
    label: `inlet windowing (tumbling count, changelog, result topic in ${contentMode} mode)`,
    async run(): Promise<ArmRun> {
      const groupId = `bench-win-${randomUUID().slice(0, 8)}`;
      const windowing = createWindowing({
        transport: prefilled.transport,
        registry: prefilled.registry,
        groupId,
        topics: [prefilled.topic],
        window: tumbling({ sizeMs: windowMs }),
        aggregation: count(),
        output: { topic: `${prefilled.topic.name}.${groupId}.results`, contentMode },
      });
      await windowing.start();
      let first = 0;
      let handled = 0;
      const deadline = Date.now() + 300_000;
      while (handled < prefilled.count) {
        if (Date.now() > deadline)
          throw new Error(`windowing took ${handled} of ${prefilled.count} events in 300 s`);
        // stats() walks the window state (10 000 keys): polled every 10 ms, not in a hot loop
        // (the first and the last event are each seen up to 10 ms late, which evens out).
        await new Promise((resolve) => setTimeout(resolve, 10));
        handled = windowing.stats().consumer.handled;
        if (first === 0 && handled > 0) first = performance.now();
      }
      const last = performance.now();
      await windowing.caughtUp({ timeoutMs: 60_000 });
      const stats = windowing.stats();
      await windowing.close();
      if (stats.results === 0) throw new Error('windowing emitted no results');
      return {
        work: handled,
        wallSeconds: (last - first) / 1000,
        extra: { results: stats.results, checkpoints: stats.checkpoints },
      };
    },
  };
}

/** Raw kafkajs eachBatch, decoding each record with Inlet's decoder (Avro, registry-framed), nothing else. */
export function rawConsumeArm(brokers: readonly string[], prefilled: PrefilledClicks): Arm {
  return {
    label: 'raw kafkajs eachBatch (decode only)',
    async run(): Promise<ArmRun> {
      const consumer = benchKafka(brokers, 'bench-raw').consumer({
        groupId: `bench-raw-${randomUUID().slice(0, 8)}`,
      });
      await consumer.connect();
      await consumer.subscribe({ topic: prefilled.topic.name, fromBeginning: true });
      let first = 0;
      let last = 0;
      let handled = 0;
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      // The writer's schema is the definition's (the registry id resolved once, as Inlet caches it).
      const writerCodec = () => Clicked.codec as PayloadCodec<unknown>;
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (first === 0) first = performance.now();
          for (const message of batch.messages) {
            const decoded = decodeEventRecord(
              {
                topic: batch.topic,
                partition: batch.partition,
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
              { writerCodecForSchemaId: writerCodec },
            );
            if (decoded === undefined) throw new Error('decoded nothing');
            handled++;
          }
          if (handled === prefilled.count) {
            last = performance.now();
            done();
          }
        },
      });
      await finished;
      await consumer.disconnect();
      return { work: handled, wallSeconds: (last - first) / 1000 };
    },
  };
}

const versusKafkajs: Scenario = {
  name: 'windowing-kafka-vs-kafkajs',
  group: 'windowing',
  description:
    `Inlet windowing over the real broker (tumbling 1-minute count per user, ${keys} users, ${partitions} partitions, ` +
    'Avro events framed by the registry, state checkpointed to the changelog topic, final results to a topic) vs raw ' +
    'kafkajs eachBatch decoding the same records only (target ≥ 0.75)',
  unit: 'events/s',
  better: 'higher',
  needsKafka: true,
  pairs: 9,
  async prepare({ brokers, quick }) {
    const prefilled = await prefillClicks(brokers, quick ? 20_000 : 150_000);
    return {
      ours: windowingArm(prefilled),
      baseline: rawConsumeArm(brokers, prefilled),
      teardown: () => prefilled.cleanup(),
    };
  },
};

/** The same windowed count in Kafka Streams (the peer under bench/peers/kafka-streams), one stream thread. */
function kafkaStreamsArm(brokers: readonly string[], prefilled: PrefilledClicks): Arm {
  return {
    label: 'Kafka Streams 4.4 (windowedBy.count, one stream thread, at_least_once)',
    async run(): Promise<ArmRun> {
      const applicationId = `bench-ks-${randomUUID().slice(0, 8)}`;
      try {
        return await runKafkaStreamsWindowedCount({
          brokers,
          inputTopic: prefilled.topic.name,
          outputTopic: `${prefilled.topic.name}.${applicationId}.results`,
          applicationId,
          expectedRecords: prefilled.count,
          windowSizeMs: windowMs,
          graceMs: 0,
          processingGuarantee: 'at_least_once',
          avroSchema: clickSchema.schema,
        });
      } finally {
        await deleteKafkaStreamsLeftovers(brokers, [applicationId]).catch(() => undefined);
      }
    },
  };
}

const versusKafkaStreams: Scenario = {
  name: 'windowing-kafka-vs-kafka-streams',
  group: 'windowing',
  description:
    `Inlet windowing vs Kafka Streams doing the same tumbling 1-minute count per user (${keys} users, ${partitions} ` +
    'partitions, registry-framed Avro decoded by both, changelog on both, final results to a topic) on the same ' +
    'topic in the same run; each timed from its first record to its last (target ≥ 1.0)',
  unit: 'events/s',
  better: 'higher',
  needsKafka: true,
  pairs: 3,
  warmupRuns: 1,
  async prepare({ brokers, quick }) {
    const prefilled = await prefillClicks(brokers, quick ? 20_000 : 150_000);
    return {
      ours: windowingArm(prefilled),
      baseline: kafkaStreamsArm(brokers, prefilled),
      teardown: () => prefilled.cleanup(),
    };
  },
};

export const windowingKafkaScenarios: readonly Scenario[] = [versusKafkajs, versusKafkaStreams];
