import type { TopicPartitionOffset } from '@inlet/core';
import { unknownPartitionError } from './broker-errors';
import { invalidOption } from './option-checks';
import type { TopicRegistry } from './topic-registry';

/** An offset as the model keeps it: a number (exact up to 2^53, far beyond any real log). */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const decimal = /^(0|[1-9][0-9]*)$/;

export function parseOffset(value: unknown, path: string): number {
  const offset = typeof value === 'string' && decimal.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(offset)) {
    throw invalidOption(path, `expected a non-negative decimal offset string, got ${JSON.stringify(value)}`);
  }
  return offset;
}

export function checkPartition(
  registry: TopicRegistry,
  topic: unknown,
  partition: unknown,
  path: string,
): number {
  const found = registry.require(topic, `${path}.topic`);
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw invalidOption(`${path}.partition`, `expected a partition number, got ${String(partition)}`);
  }
  if (partition >= found.partitions.length) {
    throw unknownPartitionError(found.name, partition, found.partitions.length);
  }
  return partition;
}

/** Checks offsets to commit: topics and partitions must exist, offsets must be decimal strings. */
export function parsePartitionOffsets(
  registry: TopicRegistry,
  offsets: readonly TopicPartitionOffset[],
  path: string,
): PartitionOffset[] {
  if (!Array.isArray(offsets)) throw invalidOption(path, 'expected an array of offsets');
  return offsets.map((entry, index) => {
    const at = `${path}[${index}]`;
    if (typeof entry !== 'object' || entry === null)
      throw invalidOption(at, 'expected { topic, partition, offset }');
    const partition = checkPartition(registry, entry.topic, entry.partition, at);
    return { topic: entry.topic, partition, offset: parseOffset(entry.offset, `${at}.offset`) };
  });
}
