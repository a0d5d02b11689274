import {
  checkedStartOffsets as checkedDecimalOffsets,
  InletError,
  InletErrorCode,
  type TopicPartition,
} from '@inlet/core';
import type { PartitionOffset } from './parse-offsets';

/**
 * The start offsets an assignment hook returned, checked as every transport checks them, and as
 * the backbone's partition logs count: offsets beyond a safe integer are reported and left out
 * too (their partitions start from their committed offsets).
 */
export function checkedStartOffsets(
  returned: unknown,
  assignment: readonly TopicPartition[],
  report: (error: InletError) => void,
): PartitionOffset[] {
  const offsets: PartitionOffset[] = [];
  for (const { topic, partition, offset } of checkedDecimalOffsets(returned, assignment, report)) {
    const position = Number(offset);
    if (Number.isSafeInteger(position)) offsets.push({ topic, partition, offset: position });
    else
      report(
        new InletError(
          InletErrorCode.handlerFailed,
          `onPartitionsAssigned returned offset "${offset}" for ${topic}/${partition}, beyond what the backbone counts; the partition starts from its committed offset`,
        ),
      );
  }
  return offsets;
}
