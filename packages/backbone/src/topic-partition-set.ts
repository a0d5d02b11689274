import type { TopicPartition } from '@inlet/core';

/** Code-point order by topic, then partition number: locale-independent, so always the same. */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

export function topicPartitionKey(topicPartition: TopicPartition): string {
  return `${topicPartition.partition}:${topicPartition.topic}`;
}

/** Sorted, frozen copies: callers can keep or change what they get without touching our state. */
export function sortedTopicPartitions(list: Iterable<TopicPartition>): readonly TopicPartition[] {
  const copies = Array.from(list, ({ topic, partition }) => Object.freeze({ topic, partition }));
  return Object.freeze(copies.sort(compareTopicPartitions));
}

export class TopicPartitionSet {
  private readonly entries = new Map<string, TopicPartition>();

  add(topicPartition: TopicPartition): void {
    const { topic, partition } = topicPartition;
    this.entries.set(topicPartitionKey(topicPartition), { topic, partition });
  }

  delete(topicPartition: TopicPartition): void {
    this.entries.delete(topicPartitionKey(topicPartition));
  }

  has(topicPartition: TopicPartition): boolean {
    return this.entries.has(topicPartitionKey(topicPartition));
  }

  toArray(): TopicPartition[] {
    return [...sortedTopicPartitions(this.entries.values())];
  }
}
