import { randomUUID } from 'node:crypto';
import {
  InletError,
  InletErrorCode,
  type KafkaTransport,
  type OutgoingRecord,
  type TopicPartitionOffset,
  type TransportProducer,
} from '@inlet/core';
import type { PartitionWatermarks } from './watermarks';
import type { EncodedKeyState, PartitionChanges } from './window-operator';

// A changelog partition holds one input partition's state: a record per window key (`k<key>`,
// JSON, a tombstone once the key has nothing left), the checkpoint (`c`: the input offset the
// state covers and the partition's time) and the barrier (`b`) a new owner writes to know where
// the log ends. Every flush is one transaction, so a reader sees whole flushes or nothing.
const stateKeyPrefix = 'k';
const checkpointKey = Buffer.from('c');
const barrierKey = Buffer.from('b');

export interface Checkpoint extends PartitionWatermarks {
  /** The input offset to resume from: the state covers everything before it. */
  readonly offset: string;
}

export interface RestoredPartition {
  readonly keys: Map<string, EncodedKeyState>;
  readonly checkpoint: Checkpoint | undefined;
  /** Changelog records read. */
  readonly records: number;
}

export function changelogTopicName(name: string, inputTopic: string): string {
  return `${name}-${inputTopic}-changelog`;
}

/** Creates the compacted changelog topic with the input topic's partitions, when missing. */
export async function ensureChangelog(
  transport: KafkaTransport,
  changelogTopic: string,
  partitions: number,
  replicationFactor: number | undefined,
): Promise<void> {
  const admin = transport.admin();
  try {
    const existing = await admin.listTopics();
    if (existing.includes(changelogTopic)) {
      const count = await admin.partitionCount(changelogTopic);
      if (count !== partitions) {
        throw new InletError(
          InletErrorCode.invalidOption,
          `changelog topic ${changelogTopic} has ${count} partitions, its input ${partitions}: state of input partition p lives in changelog partition p`,
        );
      }
      return;
    }
    await admin.createTopics([
      {
        topic: changelogTopic,
        partitions,
        ...(replicationFactor === undefined ? {} : { replicationFactor }),
        config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
      },
    ]);
  } finally {
    await admin.close();
  }
}

export function changelogRecords(
  changelogTopic: string,
  partition: number,
  changes: PartitionChanges,
  offset: string,
): OutgoingRecord[] {
  const records: OutgoingRecord[] = [];
  for (const [key, state] of changes.keys) {
    records.push({
      topic: changelogTopic,
      partition,
      key: Buffer.from(stateKeyPrefix + key, 'utf8'),
      value: state === null ? null : Buffer.from(JSON.stringify(state), 'utf8'),
    });
  }
  const checkpoint: Checkpoint = { offset, ...changes.time };
  records.push({
    topic: changelogTopic,
    partition,
    key: checkpointKey,
    value: Buffer.from(JSON.stringify(checkpoint), 'utf8'),
  });
  return records;
}

/**
 * Takes over a changelog partition: the transactional producer's first transaction fences any
 * earlier owner (its open transaction is aborted), and the barrier it commits marks the end of
 * the log as of the takeover. Returns the barrier's id.
 */
export async function claimPartition(
  producer: TransportProducer,
  changelogTopic: string,
  partition: number,
): Promise<string> {
  const barrier = randomUUID();
  const transaction = await producer.transaction();
  try {
    await transaction.send([
      { topic: changelogTopic, partition, key: barrierKey, value: Buffer.from(barrier, 'utf8') },
    ]);
    await transaction.commit();
  } catch (error) {
    if (transaction.isActive) await transaction.abort().catch(() => undefined);
    throw error;
  }
  return barrier;
}

/**
 * Reads changelog partitions from their start to the barrier each was claimed with
 * (read_committed), folding them into the state they hold.
 */
export async function restorePartitions(
  transport: KafkaTransport,
  changelogTopic: string,
  barriers: ReadonlyMap<number, string>,
  options: { readonly groupPrefix: string; readonly signal?: AbortSignal },
): Promise<Map<number, RestoredPartition>> {
  const restored = new Map<
    number,
    { keys: Map<string, EncodedKeyState>; checkpoint: Checkpoint | undefined; records: number }
  >();
  for (const partition of barriers.keys())
    restored.set(partition, { keys: new Map(), checkpoint: undefined, records: 0 });
  if (barriers.size === 0) return restored;
  const admin = transport.admin();
  const ends = new Map<number, { low: string; high: string }>();
  try {
    for (const { partition, low, high } of await admin.topicOffsets(changelogTopic))
      ends.set(partition, { low, high });
  } finally {
    await admin.close();
  }
  const groupId = `${options.groupPrefix}.restore.${randomUUID()}`;
  const consumer = transport.consumer({ groupId, isolation: 'read_committed', autoOffsetReset: 'earliest' });
  const pending = new Set(barriers.keys());
  let finish: (error?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  const onAbort = () =>
    finish(options.signal?.reason ?? new InletError(InletErrorCode.aborted, 'restore aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await consumer.connect();
    await consumer.subscribe([changelogTopic]);
    await consumer.run({
      onPartitionsAssigned: async (partitions) =>
        partitions.map(
          ({ topic, partition }): TopicPartitionOffset => ({
            topic,
            partition,
            offset: barriers.has(partition)
              ? (ends.get(partition)?.low ?? '0')
              : (ends.get(partition)?.high ?? '0'),
          }),
        ),
      onBatch: async (batch) => {
        const target = restored.get(batch.partition);
        const barrier = barriers.get(batch.partition);
        if (target === undefined || barrier === undefined || !pending.has(batch.partition)) return;
        for (const record of batch.records) {
          target.records++;
          const key = record.key;
          if (key === null) continue;
          if (key.equals(barrierKey)) {
            if (record.value?.toString('utf8') === barrier) {
              pending.delete(batch.partition);
              if (pending.size === 0) finish();
              return;
            }
          } else if (key.equals(checkpointKey)) {
            if (record.value !== null)
              target.checkpoint = JSON.parse(record.value.toString('utf8')) as Checkpoint;
          } else {
            const stateKey = key.toString('utf8').slice(stateKeyPrefix.length);
            if (record.value === null) target.keys.delete(stateKey);
            else target.keys.set(stateKey, JSON.parse(record.value.toString('utf8')) as EncodedKeyState);
          }
        }
      },
      onError: (error, fatal) => {
        if (fatal) finish(error);
      },
    });
    await done;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.close().catch(() => undefined);
    const cleanup = transport.admin();
    await cleanup.deleteGroup(groupId).catch(() => undefined);
    await cleanup.close().catch(() => undefined);
  }
  return restored;
}
