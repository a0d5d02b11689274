import {
  closedError,
  type GroupDescription,
  type PartitionOffsets,
  type TopicPartitionOffset,
  type TopicSpec,
  type TransportAdmin,
} from '@inlet/core';
import type { InMemoryBroker } from './in-memory-broker';
import { checkNonEmptyString, invalidOption } from './option-checks';
import { parsePartitionOffsets } from './parse-offsets';

export class InMemoryAdmin implements TransportAdmin {
  private closed = false;

  constructor(
    private readonly broker: InMemoryBroker,
    private readonly onClosed: () => void,
  ) {}

  async connect(): Promise<void> {
    this.ensureOpen();
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<string[]> {
    this.ensureOpen();
    return this.broker.topics.create(topics);
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    this.ensureOpen();
    this.broker.topics.delete(topics);
  }

  async listTopics(): Promise<string[]> {
    this.ensureOpen();
    return this.broker.topics.names();
  }

  async partitionCount(topic: string): Promise<number> {
    this.ensureOpen();
    return this.broker.topics.require(topic, 'topic').partitions.length;
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    this.ensureOpen();
    return this.broker.topics.require(topic, 'topic').partitions.map((log) => ({
      partition: log.partition,
      low: String(log.logStartOffset),
      high: String(log.lastStableOffset),
    }));
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]> {
    this.ensureOpen();
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
      throw invalidOption('timestamp', 'expected milliseconds since the epoch');
    }
    return this.broker.topics.require(topic, 'topic').partitions.map((log) => ({
      topic: log.topic,
      partition: log.partition,
      offset: String(log.offsetForTimestamp(timestamp)),
    }));
  }

  async groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    this.ensureOpen();
    checkNonEmptyString(groupId, 'groupId');
    const found = this.broker.topics.require(topic, 'topic');
    const group = this.broker.groups.find(groupId);
    if (group === undefined) {
      return found.partitions.map((log) => ({ topic: found.name, partition: log.partition, offset: '-1' }));
    }
    return group.offsetsOf(found.name, found.partitions.length);
  }

  async setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    checkNonEmptyString(groupId, 'groupId');
    const parsed = parsePartitionOffsets(this.broker.topics, offsets, 'offsets');
    this.broker.groups.group(groupId).setOffsets(parsed);
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    this.ensureOpen();
    return this.broker.groups.describe(checkNonEmptyString(groupId, 'groupId'));
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.ensureOpen();
    this.broker.groups.delete(checkNonEmptyString(groupId, 'groupId'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private ensureOpen(): void {
    if (this.closed) throw closedError('admin');
  }
}
