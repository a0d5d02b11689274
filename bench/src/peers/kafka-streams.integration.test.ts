import { testEnvironment } from '@inlet/test-support';
import { describe, expect, it } from 'vitest';
import type { ProcessingGuarantee } from './kafka-streams';
import { checkKafkaStreamsWindowedCount } from './windowed-count-check';

// The Kafka Streams peer end to end: 20 000 Avro orders (10 000 keys over five minutes) from
// Inlet's producer with the schema registry, counted by the peer in one-minute windows, and every
// window it wrote compared with a count made from the same timeline.

const environment = testEnvironment();
const events = 20_000;
// The first run builds the peer with Maven, and each starts a JVM on a shared two-core machine.
const timeoutMs = 240_000;

describe.each<ProcessingGuarantee>(['at_least_once', 'exactly_once_v2'])(
  'the Kafka Streams peer (%s)',
  (guarantee) => {
    it(
      'writes the count of every window once, and reports its run',
      async () => {
        const [checked] = await checkKafkaStreamsWindowedCount({
          brokers: environment.kafkaBrokers,
          schemaRegistryUrl: environment.schemaRegistryUrl,
          events,
          keys: 10_000,
          processingGuarantee: guarantee,
        });
        if (checked === undefined) throw new Error('the check made no run');
        const { run, expectedWindows, mismatches, duplicates } = checked;
        expect(mismatches.slice(0, 5)).toEqual([]);
        expect(duplicates).toEqual([]);
        // Every order and one closer per partition.
        expect(run.work).toBe(events + 3);
        expect(run.extra?.results).toBe(expectedWindows);
        expect(run.wallSeconds).toBeGreaterThan(0);
        expect(run.childCpuSeconds).toBeGreaterThan(
          run.extra?.processingCpuSeconds ?? Number.POSITIVE_INFINITY,
        );
        console.info(`kafka streams peer, ${guarantee}: ${JSON.stringify(run)}`);
      },
      timeoutMs,
    );
  },
);
