import {
  type ConsumerHandlers,
  closedError,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransportConsumer,
  type TransportConsumerOptions,
} from '@inlet/core';
import { ConsumerMember } from './consumer-member';
import { type ResolvedConsumerOptions, resolveConsumerOptions } from './consumer-options';
import type { InMemoryBroker } from './in-memory-broker';
import { invalidOption } from './option-checks';
import { checkPartition, type PartitionOffset, parseOffset, parsePartitionOffsets } from './parse-offsets';
import { TopicPartitionSet, topicPartitionKey } from './topic-partition-set';

export class InMemoryConsumer implements TransportConsumer {
  private readonly options: ResolvedConsumerOptions;
  private readonly subscription = new Set<string>();
  private readonly pausedPartitions = new TopicPartitionSet();
  private readonly pendingSeeks = new Map<string, PartitionOffset>();
  private member: ConsumerMember | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly broker: InMemoryBroker,
    options: TransportConsumerOptions,
    private readonly onClosed: () => void,
  ) {
    this.options = resolveConsumerOptions(options, broker.options);
  }

  async connect(): Promise<void> {
    this.ensureNotClosing();
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    this.ensureNotClosing();
    if (this.member !== undefined) throw invalidOption('subscribe', 'subscribe before run');
    if (!Array.isArray(topics) || topics.length === 0)
      throw invalidOption('topics', 'expected at least one topic');
    const names = topics.map((topic, index) => this.broker.topics.obtain(topic, `topics[${index}]`).name);
    for (const name of names) this.subscription.add(name);
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    this.ensureNotClosing();
    if (this.member !== undefined) throw invalidOption('run', 'the consumer is already running');
    if (typeof handlers !== 'object' || handlers === null || typeof handlers.onBatch !== 'function') {
      throw invalidOption('handlers.onBatch', 'expected a function');
    }
    if (this.subscription.size === 0) throw invalidOption('run', 'subscribe to at least one topic first');
    this.member = new ConsumerMember(
      this.broker,
      this.options,
      this.subscription,
      this.pausedPartitions,
      this.pendingSeeks,
      handlers,
    );
    await this.member.start();
  }

  /** Allowed while closing: batches still in flight may commit before the member leaves. */
  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureNotClosed();
    const parsed = parsePartitionOffsets(this.broker.topics, offsets, 'offsets');
    if (parsed.length === 0) return;
    if (this.member === undefined)
      throw invalidOption('commit', 'commit() needs a running consumer: call run() first');
    this.member.commit(parsed);
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.ensureNotClosed();
    for (const partition of this.checkPartitions(partitions)) this.pausedPartitions.add(partition);
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.ensureNotClosed();
    for (const partition of this.checkPartitions(partitions)) this.pausedPartitions.delete(partition);
    this.member?.wake();
  }

  paused(): TopicPartition[] {
    return this.closed ? [] : this.pausedPartitions.toArray();
  }

  seek(position: TopicPartitionOffset): void {
    this.ensureNotClosed();
    if (typeof position !== 'object' || position === null) {
      throw invalidOption('position', 'expected { topic, partition, offset }');
    }
    const partition = checkPartition(this.broker.topics, position.topic, position.partition, 'position');
    const sought = {
      topic: position.topic,
      partition,
      offset: parseOffset(position.offset, 'position.offset'),
    };
    if (this.member === undefined) this.pendingSeeks.set(topicPartitionKey(sought), sought);
    else this.member.seek(sought);
  }

  assignment(): TopicPartition[] {
    return this.closed ? [] : (this.member?.assignment() ?? []);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    try {
      await this.member?.close();
    } finally {
      this.closed = true;
      this.onClosed();
    }
  }

  private checkPartitions(partitions: readonly TopicPartition[]): TopicPartition[] {
    if (!Array.isArray(partitions))
      throw invalidOption('partitions', 'expected an array of topic-partitions');
    return partitions.map((entry, index) => {
      const at = `partitions[${index}]`;
      if (typeof entry !== 'object' || entry === null)
        throw invalidOption(at, 'expected { topic, partition }');
      return {
        topic: entry.topic,
        partition: checkPartition(this.broker.topics, entry.topic, entry.partition, at),
      };
    });
  }

  private ensureNotClosing(): void {
    if (this.closing !== undefined) throw closedError('consumer');
  }

  private ensureNotClosed(): void {
    if (this.closed) throw closedError('consumer');
  }
}
