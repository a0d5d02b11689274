import { randomUUID } from 'node:crypto';
import { defineTopic, ensureTopics, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { count, createWindowing, tumbling } from '@inlet/windowing';
import { type Arm, type ArmRun, percentile, type Scenario } from '../harness';
import { benchKafka, benchTopicName, deleteTopics } from '../kafka';
import { Clicked } from './windowing-kafka';

// How soon a window's result is out once its time is over. Events are produced live (event time =
// now) at a steady rate; a one-second window closes as soon as every partition delivered an event
// past its end, so "window end → result emitted" is the broker's delivery time plus the
// operator's. The baseline is that floor alone: event time → consumed, raw kafkajs, same stream.

const partitions = 3;
const ratePerSecond = 2_000;

function summary(latencies: readonly number[]): ArmRun {
  if (latencies.length === 0) throw new Error('measured nothing');
  return {
    work: latencies.length,
    value: percentile(latencies, 0.99),
    extra: { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) },
  };
}

async function liveTopic(transport: KafkaTransport) {
  const topic = defineTopic({ name: benchTopicName('windowing-latency'), events: [Clicked], partitions });
  await ensureTopics(transport, [topic]);
  return topic;
}

/** Sends `ratePerSecond` clicks stamped now, in 10 ms ticks, for `seconds`. */
async function produceLive(
  transport: KafkaTransport,
  topic: Awaited<ReturnType<typeof liveTopic>>,
  seconds: number,
): Promise<void> {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  const perTick = ratePerSecond / 100;
  const began = Date.now();
  let sent = 0;
  try {
    while (Date.now() - began < seconds * 1000) {
      const due = Math.floor(((Date.now() - began) / 1000) * ratePerSecond);
      if (due > sent) {
        const clicks = Array.from({ length: Math.min(due - sent, perTick * 5) }, (_, index) => ({
          type: 'page.clicked' as const,
          data: { user: `user-${(sent + index) % 1_000}`, page: '/', at: Date.now() },
        }));
        await producer.sendBatch(topic, clicks);
        sent += clicks.length;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await producer.close();
  }
}

const latency: Scenario = {
  name: 'windowing-latency',
  group: 'windowing',
  description:
    `live ${ratePerSecond} events/s over ${partitions} partitions (event time = send time), tumbling 1 s count per ` +
    'user, no disorder allowed: p99 from a window end to its final result emitted, vs p99 from event time to ' +
    'consumed with raw kafkajs eachBatch on the same kind of stream (the floor); lower is better',
  unit: 'ms (p99)',
  better: 'lower',
  needsKafka: true,
  pairs: 3,
  warmupRuns: 0,
  async prepare({ brokers, quick }) {
    const seconds = quick ? 5 : 15;
    const transport = createKafkaJsTransport({ brokers, clientId: 'bench-windowing-latency' });
    const topics: string[] = [];
    const ours: Arm = {
      label: 'inlet windowing: window end → result',
      async run() {
        const topic = await liveTopic(transport);
        topics.push(topic.name);
        const latencies: number[] = [];
        const windowing = createWindowing({
          transport,
          groupId: `bench-winlat-${randomUUID().slice(0, 8)}`,
          topics: [topic],
          window: tumbling({ sizeMs: 1_000 }),
          aggregation: count(),
          output: {
            onResults: (outputs) => {
              const now = Date.now();
              for (const item of outputs)
                if (item.type === 'result' && item.final) latencies.push(now - item.end);
            },
          },
        });
        await windowing.start();
        await produceLive(transport, topic, seconds);
        await windowing.close();
        // The first second's windows wait for the group to settle: not what is measured.
        return summary(latencies.slice(Math.floor(latencies.length / seconds)));
      },
    };
    const baseline: Arm = {
      label: 'raw kafkajs: event time → consumed',
      async run() {
        const topic = await liveTopic(transport);
        topics.push(topic.name);
        const latencies: number[] = [];
        const consumer = benchKafka(brokers, 'bench-winlat-raw').consumer({
          groupId: `bench-winlat-raw-${randomUUID().slice(0, 8)}`,
        });
        await consumer.connect();
        await consumer.subscribe({ topic: topic.name, fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            const now = Date.now();
            for (const message of batch.messages) latencies.push(now - Number(message.timestamp));
          },
        });
        await produceLive(transport, topic, seconds);
        await consumer.disconnect();
        return summary(latencies.slice(Math.floor(latencies.length / seconds)));
      },
    };
    return {
      ours,
      baseline,
      async teardown() {
        await transport.close();
        await deleteTopics(benchKafka(brokers), topics);
      },
    };
  },
};

export const windowingLatencyScenarios: readonly Scenario[] = [latency];
