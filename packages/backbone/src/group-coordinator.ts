import type { GroupDescription } from '@inlet/core';
import { groupNotFoundError, nonEmptyGroupError } from './broker-errors';
import { ConsumerGroup } from './consumer-group';
import type { PartitionOffset } from './parse-offsets';
import type { TopicRegistry } from './topic-registry';

/** Kafka's group coordinator: every consumer group of the backbone. */
export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  private memberSequence = 0;

  constructor(private readonly topics: TopicRegistry) {
    topics.onTopologyChange((topic, change) => {
      for (const group of this.groups.values()) {
        if (change === 'deleted') group.topicDeleted(topic);
        else group.topologyChanged(topic);
      }
    });
  }

  /** The group, created (Empty) when it does not exist yet. */
  group(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new ConsumerGroup(groupId, (topic) => this.topics.partitionCount(topic));
      this.groups.set(groupId, group);
    }
    return group;
  }

  find(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  /**
   * Kafka names members `<clientId>-<uuid>`. A sequence number instead keeps ids, and so the
   * round-robin assignment, the same from run to run: members sort in the order they joined.
   */
  nextMemberId(clientId: string): string {
    this.memberSequence += 1;
    return `${clientId}-${String(this.memberSequence).padStart(8, '0')}`;
  }

  commitTransactional(groupId: string, offsets: readonly PartitionOffset[]): void {
    const live = offsets.filter(({ topic }) => this.topics.get(topic) !== undefined);
    this.group(groupId).commitTransactional(live);
  }

  describe(groupId: string): GroupDescription {
    // Kafka describes a group it does not know as Dead, with no members.
    return this.groups.get(groupId)?.describe() ?? { groupId, state: 'Dead', members: [] };
  }

  delete(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) throw groupNotFoundError(groupId);
    if (group.memberCount > 0) throw nonEmptyGroupError(groupId, group.state);
    group.close();
    this.groups.delete(groupId);
  }

  close(): void {
    for (const group of this.groups.values()) group.close();
  }
}
