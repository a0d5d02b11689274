import { randomUUID } from 'node:crypto';
import {
  abortedError,
  checkOptions,
  InletError,
  InletErrorCode,
  type KafkaTransport,
  option,
  required,
} from '@inlet/core';
import { MonitorErrorCode } from './monitor-error-code';

/** Options of {@link readGroupLag}. */
export interface ReadGroupLagOptions {
  readonly transport: KafkaTransport;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** How long reading the oldest unconsumed records may take; default 15 000 ms. */
  readonly timestampTimeoutMs?: number;
  /** The clock lag seconds are measured against; default `Date.now`. */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/** The lag of one partition of a group. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next record it reads); null when it committed nothing. */
  readonly committedOffset: string | null;
  /** One past the last readable record (the last stable offset). */
  readonly endOffset: string;
  readonly lagEvents: number;
  /** Age of the oldest unconsumed record (now minus its timestamp); 0 when there is no lag. */
  readonly lagSeconds: number;
}

const lagOptionShape = {
  transport: required(option.methods('a KafkaTransport', ['consumer', 'admin'])),
  groupId: required(option.nonEmptyString()),
  topics: required(option.arrayOf(option.nonEmptyString(), { minItems: 1 })),
  timestampTimeoutMs: option.integer({ min: 1 }),
  now: option.function('a function () => number'),
  signal: option.custom('an AbortSignal', (value) => value instanceof AbortSignal),
};

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Reads a group's lag per partition: in events from the committed and end offsets, and in
 * seconds from the timestamp of the record at the committed offset, which a short-lived probe
 * consumer (a throwaway group that never commits) reads by starting each lagging partition there.
 */
export async function readGroupLag(options: ReadGroupLagOptions): Promise<PartitionLag[]> {
  checkOptions('readGroupLag', options, lagOptionShape);
  const { transport, groupId, topics, signal } = options;
  const now = options.now ?? Date.now;
  if (signal?.aborted) throw abortedError('readGroupLag', signal);
  const admin = transport.admin();
  const rows: { topic: string; partition: number; committed: string | null; start: bigint; end: bigint }[] =
    [];
  try {
    await admin.connect();
    for (const topic of topics) {
      const [ends, committed] = await Promise.all([
        admin.topicOffsets(topic),
        admin.groupOffsets(groupId, topic),
      ]);
      const committedBy = new Map(committed.map((each) => [each.partition, each.offset]));
      for (const end of ends) {
        const offset = committedBy.get(end.partition);
        const hasCommit = offset !== undefined && offset !== '-1';
        // Without a commit the group starts from the earliest record, so everything retained is lag.
        const start = hasCommit ? BigInt(offset) : BigInt(end.low);
        rows.push({
          topic,
          partition: end.partition,
          committed: hasCommit ? offset : null,
          start,
          end: BigInt(end.high),
        });
      }
    }
  } catch (error) {
    throw lagError(`could not read the offsets of group ${groupId}`, error);
  } finally {
    await admin.close().catch(() => undefined);
  }
  const lagging = rows
    .filter((row) => row.end > row.start)
    .map((row) => ({ topic: row.topic, partition: row.partition, offset: row.start, end: row.end }));
  const timestamps =
    lagging.length === 0
      ? new Map<string, number>()
      : await readTimestamps(transport, lagging, options.timestampTimeoutMs ?? 15_000, signal);
  const at = now();
  return rows.map((row) => {
    const lagEvents = row.end > row.start ? Number(row.end - row.start) : 0;
    const timestamp = timestamps.get(key(row.topic, row.partition));
    const lagSeconds = lagEvents === 0 || timestamp === undefined ? 0 : Math.max(0, (at - timestamp) / 1000);
    return {
      topic: row.topic,
      partition: row.partition,
      committedOffset: row.committed,
      endOffset: row.end.toString(),
      lagEvents,
      lagSeconds,
    };
  });
}

function lagError(message: string, cause: unknown): InletError {
  if (InletError.is(cause) && cause.code === InletErrorCode.aborted) return cause;
  return new InletError(MonitorErrorCode.lagReadFailed, message, { cause, retryable: true });
}

/**
 * The timestamp of the first readable record at or after each position. The records between a
 * commit and the end can all be transaction markers or aborted records; such a partition has no
 * readable record yet and is left out (its lag is offsets no reader will ever see as events).
 */
async function readTimestamps(
  transport: KafkaTransport,
  positions: readonly { topic: string; partition: number; offset: bigint; end: bigint }[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Map<string, number>> {
  const wanted = new Map(positions.map((each) => [key(each.topic, each.partition), each.offset]));
  const ends = new Map(positions.map((each) => [key(each.topic, each.partition), each.end]));
  const found = new Map<string, number>();
  const probeGroup = `inlet-monitor-lag-probe-${randomUUID()}`;
  const consumer = transport.consumer({ groupId: probeGroup, maxWaitTimeMs: 100 });
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const timer = setTimeout(settle, timeoutMs);
  const onAbort = () => settle();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await consumer.connect();
    await consumer.subscribe([...new Set(positions.map((each) => each.topic))]);
    await consumer.run({
      onPartitionsAssigned: async (partitions) =>
        partitions.flatMap((each) => {
          const offset = wanted.get(key(each.topic, each.partition));
          return offset === undefined
            ? []
            : [{ topic: each.topic, partition: each.partition, offset: offset.toString() }];
        }),
      onBatch: async (batch) => {
        const id = key(batch.topic, batch.partition);
        const from = wanted.get(id);
        if (from === undefined || found.has(id)) return;
        const record = batch.records.find((each) => BigInt(each.offset) >= from);
        if (record !== undefined) found.set(id, record.timestamp);
        else if (BigInt(batch.nextOffset) >= (ends.get(id) ?? 0n)) wanted.delete(id);
        if ([...wanted.keys()].every((each) => found.has(each))) settle();
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    await consumer.close().catch(() => undefined);
    const admin = transport.admin();
    await admin
      .deleteGroup(probeGroup)
      .catch(() => undefined)
      .finally(() => admin.close().catch(() => undefined));
  }
  if (signal?.aborted) throw abortedError('readGroupLag', signal);
  return found;
}
