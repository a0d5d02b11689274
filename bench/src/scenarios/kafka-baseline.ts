import { performance } from 'node:perf_hooks';
import type { Arm, Scenario } from '../harness';
import {
  benchKafka,
  benchTopicName,
  createTopic,
  deleteTopics,
  fillTopic,
  keyedMessages,
  runKafkaJavaTool,
} from '../kafka';

// The yardstick every later scenario is read against: what raw kafkajs does on this machine and
// broker, next to the broker's own Java perf tools (how far kafkajs is from the broker's limit).
const valueBytes = 200;
const partitions = 3;
const batchSize = 1000;

function counts(quick: boolean) {
  return quick ? { kafkajs: 20_000, java: 100_000 } : { kafkajs: 100_000, java: 1_000_000 };
}

const produce: Scenario = {
  name: 'kafka-baseline-produce',
  group: 'kafka-baseline',
  description:
    `raw kafkajs producer.sendBatch (${batchSize} keyed messages per awaited call, acks=-1, ` +
    `${valueBytes}-byte values, ${partitions} partitions) vs the broker's own ProducerPerformance ` +
    '(Java client, acks=all, unkeyed, default batching); ratio = kafkajs / Java',
  unit: 'messages/s',
  better: 'higher',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const kafka = benchKafka(brokers);
    const topic = benchTopicName('produce');
    await createTopic(kafka, topic, partitions);
    const { kafkajs: kafkajsCount, java: javaCount } = counts(quick);
    const messages = keyedMessages(kafkajsCount, valueBytes);
    const producer = kafka.producer();
    await producer.connect();

    const ours: Arm = {
      label: 'kafkajs sendBatch',
      async run() {
        for (let start = 0; start < messages.length; start += batchSize) {
          await producer.sendBatch({
            acks: -1,
            topicMessages: [{ topic, messages: messages.slice(start, start + batchSize) }],
          });
        }
        return { work: messages.length };
      },
    };
    const baseline: Arm = {
      label: 'Java ProducerPerformance',
      async run() {
        const { stdout, cpuSeconds } = await runKafkaJavaTool('org.apache.kafka.tools.ProducerPerformance', [
          '--topic',
          topic,
          '--num-records',
          String(javaCount),
          '--record-size',
          String(valueBytes),
          '--throughput',
          '-1',
          '--producer-props',
          `bootstrap.servers=${brokers.join(',')}`,
          'acks=all',
        ]);
        const summary = stdout.trim().split('\n').at(-1) ?? '';
        const match = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(summary);
        if (!match) throw new Error(`unexpected ProducerPerformance output: ${summary}`);
        const records = Number(match[1]);
        return { work: records, wallSeconds: records / Number(match[2]), childCpuSeconds: cpuSeconds };
      },
    };
    return {
      ours,
      baseline,
      async teardown() {
        await producer.disconnect();
        await deleteTopics(kafka, [topic]);
      },
    };
  },
};

const consume: Scenario = {
  name: 'kafka-baseline-consume',
  group: 'kafka-baseline',
  description:
    `raw kafkajs consumer eachBatch (fresh group, from the beginning, ${partitions} partitions, ` +
    `${valueBytes}-byte values), timed from the first batch to the last message, vs the broker's own ` +
    'ConsumerPerformance (fetch rate, excluding the group join); ratio = kafkajs / Java',
  unit: 'messages/s',
  better: 'higher',
  needsKafka: true,
  pairs: 5,
  async prepare({ brokers, quick }) {
    const kafka = benchKafka(brokers);
    const topic = benchTopicName('consume');
    await createTopic(kafka, topic, partitions);
    const total = counts(quick).java;
    await fillTopic(kafka, topic, keyedMessages(total, valueBytes));
    let group = 0;

    const ours: Arm = {
      label: 'kafkajs eachBatch',
      async run() {
        group += 1;
        const consumer = kafka.consumer({
          groupId: `${topic}-kafkajs-${group}`,
          maxBytesPerPartition: 1 << 20,
        });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        let received = 0;
        let firstAt = 0;
        let bytes = 0;
        const done = new Promise<number>((resolve) => {
          void consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              if (firstAt === 0) firstAt = performance.now();
              for (const message of batch.messages) bytes += message.value?.length ?? 0;
              received += batch.messages.length;
              if (received >= total) resolve(performance.now());
            },
          });
        });
        const finishedAt = await done;
        await consumer.disconnect();
        if (bytes < total * valueBytes) throw new Error('consumed fewer bytes than were produced');
        return { work: received, wallSeconds: (finishedAt - firstAt) / 1000 };
      },
    };
    const baseline: Arm = {
      label: 'Java ConsumerPerformance',
      async run() {
        group += 1;
        const { stdout, cpuSeconds } = await runKafkaJavaTool('org.apache.kafka.tools.ConsumerPerformance', [
          '--bootstrap-server',
          brokers.join(','),
          '--topic',
          topic,
          '--messages',
          String(total),
          '--group',
          `${topic}-java-${group}`,
          '--timeout',
          '60000',
        ]);
        const row =
          stdout
            .trim()
            .split('\n')
            .at(-1)
            ?.split(',')
            .map((cell) => cell.trim()) ?? [];
        // columns: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s
        const records = Number(row[4]);
        const fetchMillis = Number(row[7]);
        if (!(records > 0 && fetchMillis > 0))
          throw new Error(`unexpected ConsumerPerformance output: ${stdout}`);
        return { work: records, wallSeconds: fetchMillis / 1000, childCpuSeconds: cpuSeconds };
      },
    };
    return {
      ours,
      baseline,
      async teardown() {
        await deleteTopics(kafka, [topic]);
      },
    };
  },
};

export const kafkaBaselineScenarios: readonly Scenario[] = [produce, consume];
