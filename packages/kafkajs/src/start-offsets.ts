import { InletError, InletErrorCode, type TopicPartition, type TopicPartitionOffset } from '@inlet/core';
import { topicPartitionKey } from './topic-partitions';

const decimalOffset = /^(0|[1-9]\d*)$/;

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The start offsets an assignment hook returned, each checked to be a decimal offset of a
 * partition of that assignment. Anything else is reported and left out: its partition starts
 * from its committed offset, as if the hook had said nothing about it.
 */
export function checkedStartOffsets(
  returned: unknown,
  assignment: readonly TopicPartition[],
  report: (error: InletError) => void,
): TopicPartitionOffset[] {
  if (returned === undefined || returned === null) return [];
  const refuse = (what: string) =>
    report(
      new InletError(
        InletErrorCode.handlerFailed,
        `onPartitionsAssigned returned ${what}; the partitions it names start from their committed offsets`,
      ),
    );
  if (!Array.isArray(returned)) {
    refuse(`${describe(returned)}, not a list of offsets`);
    return [];
  }
  const assigned = new Set(assignment.map(topicPartitionKey));
  const offsets: TopicPartitionOffset[] = [];
  for (const entry of returned as unknown[]) {
    const { topic, partition, offset } = (entry ?? {}) as Partial<Record<string, unknown>>;
    if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'string') {
      refuse(`${describe(entry)}, not a { topic, partition, offset }`);
    } else if (!assigned.has(topicPartitionKey({ topic, partition }))) {
      refuse(`an offset for ${topic}/${partition}, which is not in the assignment`);
    } else if (!decimalOffset.test(offset)) {
      refuse(`offset ${describe(offset)} for ${topic}/${partition}, not a decimal offset`);
    } else {
      offsets.push({ topic, partition, offset });
    }
  }
  return offsets;
}
