import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { createConfluentRegistry, createSchemaResolver } from '@inlet/schema';
import type { ArmRun } from '../harness';
import { benchKafka, benchTopicName, createTopic, deleteTopics } from '../kafka';
import { orderAvroSchema } from '../scenarios/envelope';
import {
  deleteKafkaStreamsLeftovers,
  type ProcessingGuarantee,
  runKafkaStreamsWindowedCount,
} from './kafka-streams';
import {
  expectedWindowCounts,
  produceWindowedOrders,
  readWindowCounts,
  windowCountMismatches,
  windowedOrdersTimeline,
} from './windowed-orders';

// Checks the Kafka Streams peer end to end: Avro orders produced by Inlet (framed for the schema
// registry), the peer's windowed count over them, and its output compared window by window with
// a count made here from the same timeline.

export interface WindowedCountCheckOptions {
  readonly brokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly events: number;
  readonly keys: number;
  readonly processingGuarantee: ProcessingGuarantee;
  /** Peer runs over the same input topic, each with its own application id and output topic. */
  readonly runs?: number;
  readonly windowSizeMs?: number;
  readonly graceMs?: number;
  readonly emitIntervalMs?: number;
}

export interface CheckedRun {
  readonly run: ArmRun;
  readonly expectedWindows: number;
  readonly mismatches: readonly string[];
  readonly duplicates: readonly string[];
}

const partitions = 3;
const minute = 60_000;

export async function checkKafkaStreamsWindowedCount(
  options: WindowedCountCheckOptions,
): Promise<CheckedRun[]> {
  const windowSizeMs = options.windowSizeMs ?? minute;
  const kafka = benchKafka(options.brokers, 'bench-ks-check');
  const inputTopic = benchTopicName('ks-windowed-in');
  const outputTopics: string[] = [];
  const applicationIds: string[] = [];
  const graceMs = options.graceMs ?? 0;
  // An hour back: event times well clear of the broker's clock, which refuses timestamps more
  // than an hour ahead of it (log.message.timestamp.after.max.ms).
  const startMs = Math.floor((Date.now() - 60 * minute) / minute) * minute;
  const timeline = windowedOrdersTimeline({
    events: options.events,
    keys: options.keys,
    spanMs: 5 * minute,
    startMs,
    partitions,
    windowSizeMs,
    graceMs,
  });
  const expected = expectedWindowCounts(timeline.events, windowSizeMs);
  await createTopic(kafka, inputTopic, partitions);
  try {
    await produceOrders(options, inputTopic, timeline);
    const checked: CheckedRun[] = [];
    for (let index = 0; index < (options.runs ?? 1); index += 1) {
      const outputTopic = benchTopicName('ks-windowed-out');
      const applicationId = benchTopicName('ks-windowed-app');
      outputTopics.push(outputTopic);
      applicationIds.push(applicationId);
      await createTopic(kafka, outputTopic, partitions);
      const run = await runKafkaStreamsWindowedCount({
        brokers: options.brokers,
        inputTopic,
        outputTopic,
        applicationId,
        expectedRecords: timeline.events.length + timeline.closers.length,
        windowSizeMs,
        graceMs,
        processingGuarantee: options.processingGuarantee,
        avroSchema: orderAvroSchema.schema,
        ...(options.emitIntervalMs === undefined ? {} : { emitIntervalMs: options.emitIntervalMs }),
      });
      const written = await readWindowCounts(
        kafka,
        outputTopic,
        `${applicationId}-output-reader`,
        run.extra?.results ?? expected.size,
      );
      checked.push({
        run,
        expectedWindows: expected.size,
        mismatches: windowCountMismatches(expected, written.counts),
        duplicates: written.duplicates,
      });
    }
    return checked;
  } finally {
    await deleteTopics(kafka, [inputTopic, ...outputTopics]);
    await deleteKafkaStreamsLeftovers(options.brokers, applicationIds);
  }
}

async function produceOrders(
  options: WindowedCountCheckOptions,
  topic: string,
  timeline: Parameters<typeof produceWindowedOrders>[2],
): Promise<void> {
  const transport = createKafkaJsTransport({ brokers: options.brokers, clientId: 'bench-ks-check' });
  const registry = createConfluentRegistry({ url: options.schemaRegistryUrl });
  const producer = createProducer({
    transport,
    registry: createSchemaResolver({ registry }),
    linger: { ms: 0 },
  });
  try {
    await produceWindowedOrders(producer, topic, timeline);
  } finally {
    await producer.close();
    await registry.close();
    await transport.close();
  }
}
