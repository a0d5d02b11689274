import { InletErrorCode, InletKafkaError, type RecordAck } from '@inlet/core';
import type { PlacedRecord } from './record-placement';

/** What the broker reported for one partition of a produce request. */
export interface PartitionBaseOffset {
  readonly topicName: string;
  readonly partition: number;
  readonly baseOffset?: string;
}

/**
 * One ack per record, in order. A produce request appends each partition's records as one batch
 * starting at `baseOffset`, in request order, so a record's offset is the base offset plus its
 * index among that partition's records. Without a response (acks 0) offsets are `-1`.
 */
export function recordAcks(
  placed: readonly PlacedRecord[],
  response: readonly PartitionBaseOffset[] | undefined,
): RecordAck[] {
  // Offsets stay below 2^53 in practice; BigInt only for the rest (kept exact either way).
  const baseOffsets = new Map<string, (number | bigint)[]>();
  for (const entry of response ?? []) {
    if (entry.baseOffset === undefined) continue;
    const numeric = Number(entry.baseOffset);
    const base = Number.isSafeInteger(numeric + 1e6) ? numeric : BigInt(entry.baseOffset);
    let perPartition = baseOffsets.get(entry.topicName);
    if (perPartition === undefined) {
      perPartition = [];
      baseOffsets.set(entry.topicName, perPartition);
    }
    perPartition[entry.partition] = base;
  }
  return placed.map(({ record, partition, indexInPartition }) => {
    if (response === undefined) return { topic: record.topic, partition, offset: '-1' };
    const base = baseOffsets.get(record.topic)?.[partition];
    if (base === undefined) {
      throw new InletKafkaError(
        InletErrorCode.kafkaProtocol,
        `the broker did not acknowledge ${record.topic}/${partition}`,
        'MISSING_PARTITION_RESPONSE',
        { retryable: true },
      );
    }
    const offset = typeof base === 'number' ? base + indexInPartition : base + BigInt(indexInPartition);
    return { topic: record.topic, partition, offset: String(offset) };
  });
}
