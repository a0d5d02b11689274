import type { TopicPartition } from '@inlet/core';

export interface AssignorMember {
  readonly memberId: string;
  readonly topics: ReadonlySet<string>;
}

/**
 * kafkajs's default RoundRobinAssigner: members sorted by id, the subscribed topic-partitions sorted
 * by topic and partition, dealt out in turn. kafkajs assumes every member subscribes to the same
 * topics; here a partition skips members not subscribed to its topic (as Java's RoundRobinAssignor
 * does), which gives the same result when subscriptions match.
 */
export function assignRoundRobin(
  members: readonly AssignorMember[],
  partitionCount: (topic: string) => number | undefined,
): Map<string, TopicPartition[]> {
  const sorted = [...members].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  );
  const assignment = new Map<string, TopicPartition[]>(sorted.map((member) => [member.memberId, []]));
  const topics = [...new Set(sorted.flatMap((member) => [...member.topics]))].sort();
  let turn = 0;
  for (const topic of topics) {
    const count = partitionCount(topic) ?? 0;
    for (let partition = 0; partition < count; partition += 1) {
      for (let tried = 0; tried < sorted.length; tried += 1) {
        const member = sorted[(turn + tried) % sorted.length] as AssignorMember;
        if (!member.topics.has(topic)) continue;
        assignment.get(member.memberId)?.push({ topic, partition });
        turn = (turn + tried + 1) % sorted.length;
        break;
      }
    }
  }
  return assignment;
}
