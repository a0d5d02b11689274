import { randomUUID } from 'node:crypto';
import type { IncomingRecord, KafkaTransport, TopicPartitionOffset } from '@inlet/core';

/** Where reading starts on every partition, or one exact record position. */
export type ReadStart =
  | 'earliest'
  | 'latest'
  | { readonly timestamp: number }
  | { readonly partition: number; readonly offset: string };

export interface ReadRecordsOptions {
  readonly transport: KafkaTransport;
  readonly topic: string;
  readonly start: ReadStart;
  /** Stop at the log end as it is when reading starts (a snapshot); otherwise follow. */
  readonly stopAtEnd: boolean;
  /** Return (or resolve to) false to stop reading. */
  readonly onRecord: (record: IncomingRecord) => boolean | undefined | Promise<boolean | undefined>;
  /** Stop when nothing arrives for this long. */
  readonly idleTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called with the records expected (stopAtEnd) and the records read so far. */
  readonly onProgress?: (read: number, total: number) => void;
}

async function startOffsets(options: ReadRecordsOptions): Promise<{
  readonly starts: TopicPartitionOffset[];
  readonly ends: Map<number, number>;
}> {
  const admin = options.transport.admin();
  const { topic, start } = options;
  const bounds = await admin.topicOffsets(topic);
  const byTime =
    typeof start === 'object' && 'timestamp' in start
      ? await admin.offsetsForTimestamp(topic, start.timestamp)
      : [];
  const starts = bounds.map(({ partition, low, high }) => {
    let offset = high;
    if (start === 'earliest') offset = low;
    else if (typeof start === 'object' && 'timestamp' in start) {
      const found = byTime.find((entry) => entry.partition === partition)?.offset ?? '-1';
      offset = found === '-1' ? high : found;
    } else if (typeof start === 'object' && start.partition === partition) offset = start.offset;
    return { topic, partition, offset };
  });
  const ends = new Map<number, number>();
  for (const { partition, offset } of starts) {
    const high = Number(bounds.find((bound) => bound.partition === partition)?.high ?? 0);
    if (!options.stopAtEnd || Number(offset) < high) ends.set(partition, high);
  }
  return { starts, ends };
}

/**
 * Reads a topic with a throwaway consumer group placed at the start offsets (and deleted after),
 * so no real group moves. Stops at the snapshot end, at `onRecord` returning false, when idle for
 * `idleTimeoutMs`, or on abort.
 */
export async function readRecords(options: ReadRecordsOptions): Promise<void> {
  const { starts, ends } = await startOffsets(options);
  if (options.stopAtEnd && ends.size === 0) return;
  const total = starts.reduce((sum, { partition, offset }) => {
    const end = ends.get(partition);
    return end === undefined ? sum : sum + Math.max(0, end - Number(offset));
  }, 0);
  const admin = options.transport.admin();
  const groupId = `inlet-cli-read-${randomUUID()}`;
  await admin.setGroupOffsets(groupId, starts);
  // read_committed: letters and events written in aborted transactions were never delivered.
  const consumer = options.transport.consumer({
    groupId,
    autoOffsetReset: 'earliest',
    isolation: 'read_committed',
  });
  let read = 0;
  let done = false;
  let failure: unknown;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = () => {
      done = true;
      resolve();
    };
  });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (options.idleTimeoutMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(finish, options.idleTimeoutMs);
  };
  const onAbort = () => finish();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await consumer.subscribe([options.topic]);
    armIdle();
    await consumer.run({
      onBatch: async (batch) => {
        armIdle();
        const end = options.stopAtEnd ? ends.get(batch.partition) : Number.POSITIVE_INFINITY;
        if (done || end === undefined) return;
        for (const record of batch.records) {
          if (done || Number(record.offset) >= end) break;
          read += 1;
          if ((await options.onRecord(record)) === false) {
            finish();
            return;
          }
        }
        options.onProgress?.(read, total);
        if (options.stopAtEnd && Number(batch.nextOffset) >= end) ends.delete(batch.partition);
        if (options.stopAtEnd && ends.size === 0) finish();
      },
      onError: (error, fatal) => {
        if (fatal) {
          failure = error;
          finish();
        }
      },
    });
    await finished;
  } finally {
    clearTimeout(idle);
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.close();
    await admin.deleteGroup(groupId).catch(() => undefined);
  }
  if (failure !== undefined) throw failure;
}
