import type { TransportAdmin } from '@inlet/core';

/** One partition's position: `committed` is null when the group has committed nothing there. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly committed: string | null;
  readonly end: string;
  /** Records the group has yet to read: end - committed (end - log start when nothing committed). */
  readonly lag: number;
}

/** The topics where a group has committed at least one offset, sorted. */
export async function topicsWithCommits(admin: TransportAdmin, groupId: string): Promise<string[]> {
  const topics = (await admin.listTopics()).sort();
  const committed = await Promise.all(topics.map((name) => admin.groupOffsets(groupId, name)));
  return topics.filter((_, index) => committed[index]?.some((entry) => entry.offset !== '-1'));
}

/**
 * A consumer group's lag from offsets alone (no timestamps). `inlet lag` uses `readGroupLag` of
 * `@inlet/monitor` instead, for lag in time too; this stays for code that imported it. Without
 * `topic`, every topic where the group has committed offsets.
 */
export async function readGroupLag(
  admin: TransportAdmin,
  groupId: string,
  topic?: string,
): Promise<PartitionLag[]> {
  const topics = topic === undefined ? await admin.listTopics() : [topic];
  const lags: PartitionLag[] = [];
  for (const name of topics.sort()) {
    const [committed, bounds] = await Promise.all([
      admin.groupOffsets(groupId, name),
      admin.topicOffsets(name),
    ]);
    const anyCommitted = committed.some((entry) => entry.offset !== '-1');
    if (topic === undefined && !anyCommitted) continue;
    for (const bound of [...bounds].sort((a, b) => a.partition - b.partition)) {
      const offset = committed.find((entry) => entry.partition === bound.partition)?.offset ?? '-1';
      const from = offset === '-1' ? Number(bound.low) : Number(offset);
      lags.push({
        topic: name,
        partition: bound.partition,
        committed: offset === '-1' ? null : offset,
        end: bound.high,
        lag: Math.max(0, Number(bound.high) - from),
      });
    }
  }
  return lags;
}
