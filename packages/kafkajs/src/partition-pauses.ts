import type { TopicPartition } from '@inlet/core';
import { sortTopicPartitions, topicPartitionKey } from './topic-partitions';

export interface PauseTarget {
  pause(partition: TopicPartition): void;
  resume(partition: TopicPartition): void;
}

/**
 * The partitions a consumer must not fetch: those the user paused, those backing off after a
 * failed batch, and those held until the assignment hook has said where they start. Any reason
 * keeps a partition paused; it resumes when none holds.
 */
export class PartitionPauses {
  readonly #target: PauseTarget;
  readonly #requested = new Map<string, TopicPartition>();
  readonly #backingOff = new Map<string, { partition: TopicPartition; timer: NodeJS.Timeout }>();
  readonly #held = new Map<string, TopicPartition>();

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
      if (this.#free(key)) this.#target.resume(partition);
    }
  }

  /**
   * Holds exactly these partitions (a new assignment's, until its hook settles); partitions held
   * for an older assignment are let go.
   */
  holdOnly(partitions: readonly TopicPartition[]): void {
    const next = new Map(partitions.map((partition) => [topicPartitionKey(partition), partition]));
    for (const [key, partition] of [...this.#held]) {
      if (next.has(key)) continue;
      this.#held.delete(key);
      if (this.#free(key)) this.#target.resume(partition);
    }
    for (const [key, partition] of next) {
      const copy = { topic: partition.topic, partition: partition.partition };
      this.#held.set(key, copy);
      this.#target.pause(copy);
    }
  }

  /** Lets held partitions go; each resumes unless another reason keeps it paused. */
  release(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) {
      const key = topicPartitionKey(partition);
      if (!this.#held.delete(key)) continue;
      if (this.#free(key)) this.#target.resume(partition);
    }
  }

  isHeld(partition: TopicPartition): boolean {
    return this.#held.has(topicPartitionKey(partition));
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
      if (this.#free(key)) this.#target.resume(partition);
    }, delayMs);
    this.#backingOff.set(key, { partition, timer });
    this.#target.pause(partition);
  }

  /** Pauses everything again, for a client that forgot (kafkajs after restarting from a crash). */
  reapply(): void {
    for (const partition of this.#requested.values()) this.#target.pause(partition);
    for (const { partition } of this.#backingOff.values()) this.#target.pause(partition);
    for (const partition of this.#held.values()) this.#target.pause(partition);
  }

  /** Forgets back-offs and holds, without resuming anything (the consumer is closing). */
  clear(): void {
    for (const { timer } of this.#backingOff.values()) clearTimeout(timer);
    this.#backingOff.clear();
    this.#held.clear();
  }

  #free(key: string): boolean {
    return !this.#requested.has(key) && !this.#backingOff.has(key) && !this.#held.has(key);
  }
}
