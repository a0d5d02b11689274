import { InletError, InletErrorCode, type KafkaTransport, type TopicPartitionOffset } from '@inlet/core';

/** Where a replay starts: an instant (by record timestamp = event time), or an end of the log. */
export type ReplayStart = { readonly timestamp: number | Date } | { readonly offset: 'earliest' | 'latest' };

export interface ReplayPartitionPlan {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset now (`-1`: none). */
  readonly committed: string;
  /** Where the group will start. */
  readonly target: string;
  /** Records the group will read again (negative: it skips that many). */
  readonly rereads: number;
}

export interface ReplayPlan {
  readonly groupId: string;
  readonly dryRun: boolean;
  readonly partitions: readonly ReplayPartitionPlan[];
  /** Sum of `rereads` over partitions that move back. */
  readonly totalRereads: number;
}

export interface ReplayOptions {
  readonly transport: KafkaTransport;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly from: ReplayStart;
  /** Report what would be re-read without moving the group. */
  readonly dryRun?: boolean;
  /** Called once per partition planned, for progress. */
  readonly onProgress?: (planned: ReplayPartitionPlan, done: number) => void;
}

/**
 * Moves a consumer group back (or forward) to a point in time or an end of the log, so a sink
 * can be rebuilt by reading again. The group must have no running members (stop the consumers
 * first; Kafka refuses otherwise). With `dryRun` it only reports what would be re-read.
 *
 * Dedup note: a consumer whose dedup window still remembers the re-read events skips them; to
 * rebuild, replay into a fresh dedup namespace (another group id) or clear its store.
 */
export async function replayGroup(options: ReplayOptions): Promise<ReplayPlan> {
  const admin = options.transport.admin();
  const planned: ReplayPartitionPlan[] = [];
  for (const topic of options.topics) {
    const [committed, bounds] = await Promise.all([
      admin.groupOffsets(options.groupId, topic),
      admin.topicOffsets(topic),
    ]);
    let targets: TopicPartitionOffset[];
    if ('timestamp' in options.from) {
      const at =
        options.from.timestamp instanceof Date ? options.from.timestamp.getTime() : options.from.timestamp;
      if (!Number.isFinite(at))
        throw new InletError(InletErrorCode.invalidOption, 'replay timestamp is not a valid time');
      targets = await admin.offsetsForTimestamp(topic, at);
    } else {
      const end = options.from.offset;
      targets = bounds.map(({ partition, low, high }) => ({
        topic,
        partition,
        offset: end === 'earliest' ? low : high,
      }));
    }
    for (const target of targets) {
      const current = committed.find((entry) => entry.partition === target.partition)?.offset ?? '-1';
      const bound = bounds.find((entry) => entry.partition === target.partition);
      // A group with nothing committed would start at the log start (earliest reset).
      const from = current === '-1' ? Number(bound?.low ?? 0) : Number(current);
      const plan = {
        topic,
        partition: target.partition,
        committed: current,
        target: target.offset,
        rereads: from - Number(target.offset),
      };
      planned.push(plan);
      options.onProgress?.(plan, planned.length);
    }
  }
  const dryRun = options.dryRun ?? false;
  if (!dryRun) {
    await admin.setGroupOffsets(
      options.groupId,
      planned.map(({ topic, partition, target }) => ({ topic, partition, offset: target })),
    );
  }
  return {
    groupId: options.groupId,
    dryRun,
    partitions: planned,
    totalRereads: planned.reduce((sum, plan) => sum + Math.max(0, plan.rereads), 0),
  };
}
