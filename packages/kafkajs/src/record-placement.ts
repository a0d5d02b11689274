import { InletErrorCode, InletKafkaError, type OutgoingRecord, partitionForKey } from '@inlet/core';

/** A record with the partition Inlet chose for it and its position among that partition's records. */
export interface PlacedRecord {
  readonly record: OutgoingRecord;
  readonly partition: number;
  /** How many records of the same request go to the same partition before this one. */
  readonly indexInPartition: number;
}

/** Round-robin placement of records without a key, per topic. */
export class RoundRobin {
  readonly #next = new Map<string, number>();

  next(topic: string, partitionCount: number): number {
    const turn = this.#next.get(topic) ?? 0;
    this.#next.set(topic, (turn + 1) % partitionCount);
    return turn % partitionCount;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

export function missingPartitionError(
  topic: string,
  partition: number,
  partitionCount: number,
): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaUnknownTopic,
    `partition ${partition} of topic "${topic}" does not exist (the topic has ${partitionCount})`,
    'UNKNOWN_TOPIC_OR_PARTITION',
    // Retryable as Kafka's UNKNOWN_TOPIC_OR_PARTITION is: partitions can be added to a topic.
    { retryable: true },
  );
}

function choosePartition(record: OutgoingRecord, partitionCount: number, roundRobin: RoundRobin): number {
  if (record.partition !== undefined) {
    if (record.partition >= partitionCount) {
      throw missingPartitionError(record.topic, record.partition, partitionCount);
    }
    return record.partition;
  }
  if (record.key !== null) return partitionForKey(record.key, partitionCount);
  return roundRobin.next(record.topic, partitionCount);
}

/**
 * Chooses each record's partition the way Kafka's default partitioner does (explicit partition,
 * else murmur2 of the key, else round-robin) from the given partition counts.
 */
export function placeRecords(
  records: readonly OutgoingRecord[],
  partitionCounts: ReadonlyMap<string, number>,
  roundRobin: RoundRobin,
): PlacedRecord[] {
  // Per topic, how many records each partition has had so far (no per-record key strings).
  const nextIndex = new Map<string, number[]>();
  return records.map((record) => {
    const count = partitionCounts.get(record.topic);
    if (count === undefined) throw new TypeError(`no partition count for topic "${record.topic}"`);
    const partition = choosePartition(record, count, roundRobin);
    let counters = nextIndex.get(record.topic);
    if (counters === undefined) {
      counters = new Array<number>(count).fill(0);
      nextIndex.set(record.topic, counters);
    }
    const indexInPartition = counters[partition] ?? 0;
    counters[partition] = indexInPartition + 1;
    return { record, partition, indexInPartition };
  });
}
