import type { TopicPartition } from '@inlet/core';

export function topicPartitionKey({ topic, partition }: TopicPartition): string {
  return `${partition}:${topic}`;
}

export function sortTopicPartitions(partitions: Iterable<TopicPartition>): TopicPartition[] {
  return [...partitions].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** kafkajs's `{ topic: [partitions] }` as a sorted list of topic-partitions. */
export function fromMemberAssignment(
  assignment: Readonly<Record<string, readonly number[]>>,
): TopicPartition[] {
  return sortTopicPartitions(
    Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    ),
  );
}

/** The partitions of `before` that are not in `after`. */
export function subtractTopicPartitions(
  before: readonly TopicPartition[],
  after: readonly TopicPartition[],
): TopicPartition[] {
  const kept = new Set(after.map(topicPartitionKey));
  return before.filter((partition) => !kept.has(topicPartitionKey(partition)));
}
