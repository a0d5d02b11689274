import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { serverScriptOutput } from '@inlet/test-support/servers';
import { Kafka, logLevel, type Message } from 'kafkajs';

export function benchKafka(brokers: readonly string[], clientId = 'inlet-bench'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING });
}

let topicCounter = 0;
export function benchTopicName(prefix: string): string {
  topicCounter += 1;
  return `bench-${prefix}-${Date.now().toString(36)}-${topicCounter}`;
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
    // kafkajs's own waitForLeaders gives up when a fresh broker briefly answers the metadata
    // request with UNKNOWN_TOPIC_OR_PARTITION; wait for every partition's leader here instead.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: [topic] })
        .then(({ topics }) => {
          const found = topics.find((metadata) => metadata.name === topic)?.partitions ?? [];
          return found.length === partitions && found.every((partition) => partition.leader >= 0);
        })
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(`topic ${topic} has no leader for every partition after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...topics] });
  } catch {
    // Deleting is tidiness, not part of what is measured.
  } finally {
    await admin.disconnect();
  }
}

/** `count` keyed messages with random `valueBytes`-byte values, spread over `keys` keys. */
export function keyedMessages(count: number, valueBytes: number, keys = 1000): Message[] {
  const value = randomBytes(valueBytes);
  return Array.from({ length: count }, (_, index) => ({ key: `key-${index % keys}`, value }));
}

/** Sends `messages` with raw kafkajs sendBatch, `batchSize` at a time, each awaited with acks=-1. */
export async function fillTopic(kafka: Kafka, topic: string, messages: readonly Message[], batchSize = 1000) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let start = 0; start < messages.length; start += batchSize) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic, messages: messages.slice(start, start + batchSize) }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ChildRun {
  readonly stdout: string;
  readonly cpuSeconds: number;
}

/**
 * Runs `java` with `javaArgs` under bash and reports its stdout and CPU time. The CPU time comes
 * from the shell's `times` builtin: the user+system time of its finished children, which the
 * kernel adds up over all of the JVM's threads when bash reaps it. Node cannot see that itself
 * (`process.resourceUsage()` is this process only, and /proc/<pid>/stat is gone once the child
 * has been reaped, and misses its last moments if read before).
 */
export async function runJava(javaArgs: readonly string[], label: string): Promise<ChildRun> {
  const script = 'java "$@" || exit $?; times >&2';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', ...javaArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${label} exited with ${code}:\n${stderr.slice(-2000)}`));
        return;
      }
      const childTimes = stderr.trim().split('\n').at(-1) ?? '';
      const seconds = [...childTimes.matchAll(/(\d+)m([\d.]+)s/g)].map(
        (match) => Number(match[1]) * 60 + Number(match[2]),
      );
      resolve({ stdout, cpuSeconds: seconds.reduce((sum, value) => sum + value, 0) });
    });
  });
}

/** Runs a Java main class from the broker's own jars (see {@link runJava}). */
export async function runKafkaJavaTool(mainClass: string, args: readonly string[]): Promise<ChildRun> {
  const libs = await serverScriptOutput('kafka', 'libs');
  return runJava(['-Xmx512m', '-cp', `${libs}/*`, mainClass, ...args], mainClass);
}
