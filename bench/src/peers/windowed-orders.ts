import { defineTopic, partitionForKey } from '@inlet/core';
import type { InletProducer } from '@inlet/producer';
import type { Kafka } from 'kafkajs';
import { OrderPlacedAvro, sampleOrders } from '../scenarios/envelope';

// Orders for a windowed count: keyed, in event-time order, with the expected count of every
// window computed from the same timeline, and one "closing" order per partition after them,
// since stream time, and so the closing of windows, is kept per partition.

export interface WindowedOrdersPlan {
  readonly events: number;
  readonly keys: number;
  /** Event times run evenly from `startMs` over this span, in order. */
  readonly spanMs: number;
  readonly startMs: number;
  readonly partitions: number;
  /** Tumbling windows aligned to the epoch, and how long each stays open after it ends. */
  readonly windowSizeMs: number;
  readonly graceMs: number;
}

export interface TimedKey {
  readonly key: string;
  readonly eventTimeMs: number;
}

export interface WindowedOrdersTimeline {
  /** The orders that are counted, in event-time order. */
  readonly events: readonly TimedKey[];
  /**
   * One order per partition after them, at the instant the last window closes (its end plus the
   * grace), whose own windows never close. No later: Kafka Streams without its record cache drops
   * a window's store segment, unemitted, when stream time jumps more than about a window past
   * the window's close (see bench/peers/kafka-streams/README.md).
   */
  readonly closers: readonly TimedKey[];
}

/** A small fixed-seed generator, so that every run of a plan has the same keys. */
function keyPicker(keys: number): () => number {
  let state = 0x2545f491;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return (state >>> 8) % keys;
  };
}

/** A key for each partition: `closer-<partition>-<n>`, the first n that Kafka places there. */
export function closingKeys(partitions: number): string[] {
  return Array.from({ length: partitions }, (_, partition) => {
    for (let n = 0; ; n += 1) {
      const key = `closer-${partition}-${n}`;
      if (partitionForKey(Buffer.from(key), partitions) === partition) return key;
    }
  });
}

export function windowedOrdersTimeline(plan: WindowedOrdersPlan): WindowedOrdersTimeline {
  const pick = keyPicker(plan.keys);
  const events = Array.from({ length: plan.events }, (_, index) => ({
    key: `order-${pick()}`,
    eventTimeMs: plan.startMs + Math.floor((index * plan.spanMs) / plan.events),
  }));
  const lastEventMs = events.at(-1)?.eventTimeMs ?? plan.startMs;
  const closeAt = windowStartOf(lastEventMs, plan.windowSizeMs) + plan.windowSizeMs + plan.graceMs;
  const closers = closingKeys(plan.partitions).map((key) => ({ key, eventTimeMs: closeAt }));
  return { events, closers };
}

const windowStartOf = (eventTimeMs: number, windowSizeMs: number) =>
  eventTimeMs - (eventTimeMs % windowSizeMs);

/** `<key>@<windowStartMs>` → count, for tumbling windows of `windowSizeMs` aligned to the epoch. */
export function expectedWindowCounts(events: readonly TimedKey[], windowSizeMs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { key, eventTimeMs } of events) {
    const name = `${key}@${windowStartOf(eventTimeMs, windowSizeMs)}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

export const windowedOrdersTopic = (name: string) => defineTopic({ name, events: [OrderPlacedAvro] });

/** Sends the timeline's orders (events, then closers) through Inlet's producer, in order. */
export async function produceWindowedOrders(
  producer: InletProducer,
  topicName: string,
  timeline: WindowedOrdersTimeline,
  batchSize = 1000,
): Promise<void> {
  const topic = windowedOrdersTopic(topicName);
  const timed = [...timeline.events, ...timeline.closers];
  const orders = sampleOrders(timed.length);
  for (let start = 0; start < timed.length; start += batchSize) {
    const batch = timed.slice(start, start + batchSize).map((event, offset) => ({
      type: 'order.placed' as const,
      data: {
        ...(orders[start + offset] as (typeof orders)[number]),
        orderId: event.key,
        placedAt: new Date(event.eventTimeMs).toISOString(),
      },
    }));
    await producer.sendBatch(topic, batch);
  }
}

export interface WrittenWindowCounts {
  readonly counts: ReadonlyMap<string, number>;
  /** Windows written more than once. */
  readonly duplicates: readonly string[];
}

/**
 * Reads `<key>@<windowStartMs>` → count records from `topic` until `expected` have arrived
 * (read_committed, kafkajs's default), or fails after `timeoutMs`.
 */
export async function readWindowCounts(
  kafka: Kafka,
  topic: string,
  groupId: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<WrittenWindowCounts> {
  const counts = new Map<string, number>();
  const duplicates: string[] = [];
  if (expected === 0) return { counts, duplicates };
  let read = 0;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${read} of ${expected} window counts from ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const name = message.key?.toString() ?? '';
              if (counts.has(name)) duplicates.push(name);
              counts.set(name, Number(message.value?.toString()));
              read += 1;
            }
            if (read >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { counts, duplicates };
}

/** Windows whose written count differs from the expected one (missing and extra ones included). */
export function windowCountMismatches(
  expected: ReadonlyMap<string, number>,
  written: ReadonlyMap<string, number>,
): string[] {
  const mismatches: string[] = [];
  for (const [name, count] of expected) {
    const got = written.get(name);
    if (got !== count) mismatches.push(`${name}: expected ${count}, written ${got ?? 'nothing'}`);
  }
  for (const [name, count] of written) {
    if (!expected.has(name)) mismatches.push(`${name}: not expected, written ${count}`);
  }
  return mismatches;
}
