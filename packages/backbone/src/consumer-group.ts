import type { GroupDescription, TopicPartition, TopicPartitionOffset } from '@inlet/core';
import {
  illegalGenerationError,
  nonEmptyGroupError,
  rebalanceInProgressError,
  unknownMemberError,
} from './broker-errors';
import type { PartitionOffset } from './parse-offsets';
import { assignRoundRobin } from './round-robin-assignor';
import { sortedTopicPartitions } from './topic-partition-set';

/** What the group coordinator needs from a consumer that joins. */
export interface GroupMember {
  readonly clientId: string;
  readonly subscription: ReadonlySet<string>;
  readonly rebalanceTimeoutMs: number;
  /** True while any of its batches is being handled, or its revoking hook runs. */
  isBusy(): boolean;
  /** True while its revoking hook runs, before it rejoins a rebalance. */
  isRevoking(): boolean;
  rebalanceStarted(membership: Membership): void;
  assigned(membership: Membership, assignment: readonly TopicPartition[]): void;
  /** Removed without asking (session or rebalance timeout); the member may join again. */
  expelled(membership: Membership, reason: string): void;
}

/** One join of one member: a member that is expelled and joins again gets a new membership and id. */
export class Membership {
  /** The generation this member last synced to; -1 before its first. */
  generation = -1;
  active = true;
  notifiedRound = -1;

  constructor(
    readonly group: ConsumerGroup,
    readonly memberId: string,
    readonly member: GroupMember,
  ) {}
}

type Phase = 'Stable' | 'PreparingRebalance' | 'CompletingRebalance';

interface Drain {
  check(): void;
}

/** A consumer group under the classic protocol: members, generations, assignment, committed offsets. */
export class ConsumerGroup {
  private readonly memberships = new Map<string, Membership>();
  private readonly committed = new Map<string, Map<number, number>>();
  private assignments = new Map<string, TopicPartition[]>();
  private generation = 0;
  private phase: Phase = 'Stable';
  private round = 0;
  private rounds: Promise<void> | undefined;
  private drain: Drain | undefined;
  private closed = false;

  constructor(
    readonly groupId: string,
    private readonly partitionCount: (topic: string) => number | undefined,
  ) {}

  /** Kafka's group state names. */
  get state(): string {
    return this.phase === 'Stable' && this.memberships.size === 0 ? 'Empty' : this.phase;
  }

  get isRebalancing(): boolean {
    return this.phase !== 'Stable';
  }

  get memberCount(): number {
    return this.memberships.size;
  }

  join(member: GroupMember, memberId: string): Membership {
    const membership = new Membership(this, memberId, member);
    this.memberships.set(memberId, membership);
    this.requestRebalance();
    return membership;
  }

  leave(membership: Membership): void {
    if (this.remove(membership)) this.requestRebalance();
  }

  expel(membership: Membership, reason: string): void {
    if (!this.remove(membership)) return;
    membership.member.expelled(membership, reason);
    this.requestRebalance();
  }

  /** A member's last in-flight batch settled: a rebalance waiting for it may go on. */
  memberSettled(): void {
    this.drain?.check();
  }

  /** A subscribed topic appeared or disappeared: members must get a new assignment. */
  topologyChanged(topic: string): void {
    for (const membership of this.memberships.values()) {
      if (membership.member.subscription.has(topic)) {
        this.requestRebalance();
        return;
      }
    }
  }

  topicDeleted(topic: string): void {
    this.committed.delete(topic);
    this.topologyChanged(topic);
  }

  /**
   * Commits for a member: refused while the group rebalances, or when the member was removed.
   * Kafka accepts commits of the current generation until every member has rejoined; the model
   * keeps that window for the revoking hook alone, which runs before its member rejoins (the port
   * promises nothing else: commits fail while the group rebalances).
   */
  commit(membership: Membership, offsets: readonly PartitionOffset[]): void {
    if (!membership.active || membership.group !== this) {
      throw unknownMemberError(this.groupId, membership.memberId, 'it left or was removed from the group');
    }
    const revoking = this.phase === 'PreparingRebalance' && membership.member.isRevoking();
    if (this.isRebalancing && !revoking) throw rebalanceInProgressError(this.groupId);
    if (membership.generation !== this.generation) {
      throw illegalGenerationError(this.groupId, membership.generation, this.generation);
    }
    this.store(offsets);
  }

  /** Offsets of a committed transaction: applied as they are, like Kafka's TxnOffsetCommit. */
  commitTransactional(offsets: readonly PartitionOffset[]): void {
    this.store(offsets);
  }

  /** The admin's overwrite: only for a group without members. */
  setOffsets(offsets: readonly PartitionOffset[]): void {
    if (this.memberships.size > 0) throw nonEmptyGroupError(this.groupId, this.state);
    this.store(offsets);
  }

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.get(partition);
  }

  offsetsOf(topic: string, partitionCount: number): TopicPartitionOffset[] {
    return Array.from({ length: partitionCount }, (_, partition) => ({
      topic,
      partition,
      offset: String(this.committedOffset(topic, partition) ?? -1),
    }));
  }

  describe(): GroupDescription {
    const stable = this.phase === 'Stable';
    const members = [...this.memberships.values()]
      .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
      .map((membership) => ({
        memberId: membership.memberId,
        clientId: membership.member.clientId,
        // Kafka shows assignments only once the group is stable.
        assignment: stable ? sortedTopicPartitions(this.assignments.get(membership.memberId) ?? []) : [],
      }));
    return { groupId: this.groupId, state: this.state, members };
  }

  close(): void {
    this.closed = true;
    this.drain?.check();
  }

  private store(offsets: readonly PartitionOffset[]): void {
    for (const { topic, partition, offset } of offsets) {
      let partitions = this.committed.get(topic);
      if (partitions === undefined) {
        partitions = new Map();
        this.committed.set(topic, partitions);
      }
      partitions.set(partition, offset);
    }
  }

  private remove(membership: Membership): boolean {
    if (!membership.active) return false;
    membership.active = false;
    this.memberships.delete(membership.memberId);
    this.drain?.check();
    return true;
  }

  private requestRebalance(): void {
    // A change during PreparingRebalance joins the round in progress, as in Kafka.
    if (this.closed || this.phase === 'PreparingRebalance') return;
    if (this.memberships.size === 0 && this.rounds === undefined) {
      // The last member left: Kafka completes that rebalance at once, into Empty.
      this.generation += 1;
      this.assignments = new Map();
      return;
    }
    this.phase = 'PreparingRebalance';
    this.rounds ??= this.runRounds();
  }

  private async runRounds(): Promise<void> {
    try {
      while (this.phase === 'PreparingRebalance' && !this.closed) {
        // Let the call that started the round return first (a join hands back its membership).
        await Promise.resolve();
        this.round += 1;
        for (const membership of [...this.memberships.values()]) this.notify(membership);
        await this.drainBusyMembers();
        if (this.closed) return;
        this.completeRebalance();
      }
    } finally {
      this.rounds = undefined;
    }
  }

  private notify(membership: Membership): void {
    if (!membership.active || membership.notifiedRound === this.round) return;
    membership.notifiedRound = this.round;
    membership.member.rebalanceStarted(membership);
  }

  /**
   * Waits until no member has a batch in flight or its revoking hook running. A member still busy
   * after the largest rebalanceTimeoutMs is removed, as Kafka removes members that do not rejoin
   * in time.
   */
  private drainBusyMembers(): Promise<void> {
    const members = [...this.memberships.values()];
    const pending = new Set(members.filter((membership) => membership.member.isBusy()));
    if (pending.size === 0) return Promise.resolve();
    const timeoutMs = Math.max(...members.map((membership) => membership.member.rebalanceTimeoutMs));
    return new Promise<void>((resolve) => {
      const check = () => {
        for (const membership of pending) {
          if (!membership.active || !membership.member.isBusy()) pending.delete(membership);
        }
        if (pending.size > 0 && !this.closed) return;
        clearTimeout(timer);
        if (this.drain === drain) this.drain = undefined;
        resolve();
      };
      const drain: Drain = { check };
      const timer = setTimeout(() => {
        for (const membership of [...pending]) {
          this.expel(membership, `its batches did not settle within rebalanceTimeoutMs (${timeoutMs} ms)`);
        }
        check();
      }, timeoutMs);
      timer.unref();
      this.drain = drain;
    });
  }

  private completeRebalance(): void {
    this.phase = 'CompletingRebalance';
    // Members that joined while the round waited hear of it now, before their assignment.
    for (const membership of [...this.memberships.values()]) this.notify(membership);
    const members = [...this.memberships.values()];
    this.generation += 1;
    this.assignments = assignRoundRobin(
      members.map((membership) => ({
        memberId: membership.memberId,
        topics: membership.member.subscription,
      })),
      this.partitionCount,
    );
    for (const membership of members) membership.generation = this.generation;
    this.phase = 'Stable';
    for (const membership of members) {
      if (!membership.active) continue;
      membership.member.assigned(membership, this.assignments.get(membership.memberId) ?? []);
    }
  }
}
