import type { TopicPartition } from '@inlet/core';
import { sortTopicPartitions, topicPartitionKey } from './topic-partitions';

export interface PauseTarget {
  pause(partition: TopicPartition): void;
  resume(partition: TopicPartition): void;
}

/**
 * The partitions a consumer must not fetch: those the user paused, and those backing off after
 * a failed batch. Either reason keeps a partition paused; it resumes when neither holds.
 */
export class PartitionPauses {
  readonly #target: PauseTarget;
  readonly #requested = new Map<string, TopicPartition>();
  readonly #backingOff = new Map<string, { partition: TopicPartition; timer: NodeJS.Timeout }>();

  constructor(target: PauseTarget) {
    this.#target = target;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) {
      const copy = { topic: partition.topic, partition: partition.partition };
      this.#requested.set(topicPartitionKey(copy), copy);
      this.#target.pause(copy);
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) {
      const key = topicPartitionKey(partition);
      this.#requested.delete(key);
      if (!this.#backingOff.has(key)) this.#target.resume(partition);
    }
  }

  /** The partitions the user paused (back-offs are not reported). */
  paused(): TopicPartition[] {
    return sortTopicPartitions(this.#requested.values());
  }

  backOff(partition: TopicPartition, delayMs: number): void {
    const key = topicPartitionKey(partition);
    const running = this.#backingOff.get(key);
    if (running !== undefined) clearTimeout(running.timer);
    const timer = setTimeout(() => {
      this.#backingOff.delete(key);
      if (!this.#requested.has(key)) this.#target.resume(partition);
    }, delayMs);
    this.#backingOff.set(key, { partition, timer });
    this.#target.pause(partition);
  }

  /** Pauses everything again, for a client that forgot (kafkajs after restarting from a crash). */
  reapply(): void {
    for (const partition of this.#requested.values()) this.#target.pause(partition);
    for (const { partition } of this.#backingOff.values()) this.#target.pause(partition);
  }

  clear(): void {
    for (const { timer } of this.#backingOff.values()) clearTimeout(timer);
    this.#backingOff.clear();
  }
}
