import {
  type AssignedPartition,
  type BatchControls,
  type ConsumerHandlers,
  type IncomingBatch,
  InletError,
  InletErrorCode,
  settleHook,
  type TopicPartition,
} from '@inlet/core';
import { unknownMemberError } from './broker-errors';
import type { ConsumerGroup, GroupMember, Membership } from './consumer-group';
import type { ResolvedConsumerOptions } from './consumer-options';
import type { InMemoryBroker } from './in-memory-broker';
import { toIncomingBatch } from './incoming-batch';
import type { PartitionOffset } from './parse-offsets';
import { PartitionFetcher } from './partition-fetcher';
import type { LogRead, PartitionLog } from './partition-log';
import { checkedStartOffsets } from './start-offsets';
import { sortedTopicPartitions, type TopicPartitionSet, topicPartitionKey } from './topic-partition-set';

type HandlerName = 'onRebalancing' | 'onAssigned' | 'onRevoked';

/**
 * A running consumer: its place in the group and its fetch loop. The loop is event-driven: it runs
 * when a log it reads changes, a batch settles, a retry delay ends, or a partition is resumed or
 * sought, and it hands out at most one batch per partition at a time.
 *
 * The partition lifecycle hooks: a new assignment's partitions are held (not fetched) until the
 * assignment hook settles, then start where it said. When a rebalance begins, once the member's
 * batches in flight have settled, the revoking hook runs with everything it owns, and the group
 * waits for it (up to the rebalance timeout) as it waits for batches: the member rejoins after it.
 * close() runs it too, before the member leaves.
 */
export class ConsumerMember implements GroupMember {
  readonly clientId: string;
  readonly rebalanceTimeoutMs: number;
  private membership: Membership | undefined;
  private readonly fetchers = new Map<string, PartitionFetcher>();
  private fetchOrder: PartitionFetcher[] = [];
  private owned: readonly TopicPartition[] = [];
  /** Where the next scheduling pass starts, so that no partition starves the others. */
  private cursor = 0;
  private inFlight = 0;
  private closing = false;
  private rejoinWhenIdle = false;
  private scheduleQueued = false;
  private lastHeartbeatAt = 0;
  private sessionTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private firstAssignment: (() => void) | undefined;
  /** Bumped by every assignment, rebalance, removal and by close: an older hook result is dropped. */
  private assignmentEpoch = 0;
  /** The revoking hook was called for the partitions owned now (or they need none). */
  private revokedOwned = true;
  /** A rebalance began while batches were in flight: revoke once they settle. */
  private revokeWhenIdle = false;
  private revoking: Promise<void> | undefined;

  constructor(
    private readonly broker: InMemoryBroker,
    private readonly options: ResolvedConsumerOptions,
    readonly subscription: ReadonlySet<string>,
    private readonly paused: TopicPartitionSet,
    /** Seeks waiting for their partition to be assigned (or for a rebalance to end), by partition key. */
    private readonly pendingSeeks: Map<string, PartitionOffset>,
    private readonly handlers: ConsumerHandlers,
  ) {
    this.clientId = broker.options.clientId;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs;
  }

  /** Joins the group; resolves on the first assignment, or when closed before it. */
  start(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.firstAssignment = resolve;
      this.join();
    });
  }

  assignment(): TopicPartition[] {
    return [...this.owned];
  }

  commit(offsets: readonly PartitionOffset[]): void {
    const membership = this.membership;
    if (membership === undefined) throw unknownMemberError(this.options.groupId, '', 'it has not joined');
    membership.group.commit(membership, offsets);
  }

  /**
   * Moves a partition's fetch position. Like kafkajs, a seek on a partition this member does not
   * own right now is remembered and applied when the partition is assigned to it.
   */
  seek(position: PartitionOffset): void {
    const key = topicPartitionKey(position);
    const fetcher = this.fetchers.get(key);
    if (fetcher !== undefined && this.membership?.group.isRebalancing === false) {
      this.pendingSeeks.delete(key);
      fetcher.seek(position.offset);
      this.wake();
      return;
    }
    fetcher?.markMoved();
    this.pendingSeeks.set(key, position);
  }

  /**
   * Runs a scheduling pass on the next turn of the event loop; wake-ups until then make one pass.
   * Like a real fetch, a batch never arrives in the same turn as the call that made it available,
   * and a fast handler cannot starve timers and I/O.
   */
  wake(): void {
    if (this.scheduleQueued) return;
    this.scheduleQueued = true;
    setImmediate(() => {
      this.scheduleQueued = false;
      this.schedule();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.assignmentEpoch += 1;
    for (const fetcher of this.fetchers.values()) {
      fetcher.cancelRetry();
      fetcher.markMoved();
    }
    this.resolveFirstAssignment();
    // The revoking hook starts once the batches in flight settle, while the member is still in
    // the group (so that what it commits lands), and the member leaves after it.
    this.revokeWhenIdle = true;
    if (this.inFlight === 0) this.startRevoking();
    await this.whenIdle();
    await this.revoking;
    this.stopSessionTimer();
    this.revokeAll();
    this.owned = [];
    const membership = this.membership;
    if (membership?.active) membership.group.leave(membership);
  }

  isBusy(): boolean {
    return this.inFlight > 0 || this.revoking !== undefined;
  }

  isRevoking(): boolean {
    return this.revoking !== undefined;
  }

  rebalanceStarted(membership: Membership): void {
    if (membership !== this.membership) return;
    // The eager protocol revokes every partition when a rebalance begins: batches in flight are stale.
    for (const fetcher of this.fetchers.values()) fetcher.markMoved();
    this.assignmentEpoch += 1;
    if (this.closing) return;
    this.callHandler('onRebalancing', () => this.handlers.onRebalancing?.());
    // Started here, within the group's notice, so that the group sees the member busy and waits.
    this.revokeWhenIdle = true;
    if (this.inFlight === 0) this.startRevoking();
  }

  assigned(membership: Membership, assignment: readonly TopicPartition[]): void {
    if (membership !== this.membership) return;
    const previous = this.owned;
    this.owned = sortedTopicPartitions(assignment);
    this.assignmentEpoch += 1;
    this.revokedOwned = this.owned.length === 0;
    this.revokeWhenIdle = false;
    this.revokeAll();
    if (this.closing) return;
    this.createFetchers(membership.group);
    const before = new Set(previous.map(topicPartitionKey));
    const kept = new Set(this.owned.map(topicPartitionKey));
    const revoked = previous.filter((topicPartition) => !kept.has(topicPartitionKey(topicPartition)));
    if (revoked.length > 0) this.callHandler('onRevoked', () => this.handlers.onRevoked?.(revoked));
    this.startAssignmentHook(before);
    this.callHandler('onAssigned', () => this.handlers.onAssigned?.(this.owned));
    this.resolveFirstAssignment();
    this.wake();
  }

  expelled(membership: Membership, reason: string): void {
    if (membership !== this.membership) return;
    this.assignmentEpoch += 1;
    const lost = this.owned;
    this.revokeAll();
    this.stopSessionTimer();
    if (!this.closing) {
      this.report(unknownMemberError(this.options.groupId, membership.memberId, reason), false);
      if (lost.length > 0) this.callHandler('onRevoked', () => this.handlers.onRevoked?.(lost));
    }
    // At once, with its batches perhaps still running: the partitions move as soon as the group
    // rebalances, and the group does not wait for a member it removed.
    this.startRevoking();
    this.owned = [];
    if (this.closing) return;
    // Like kafkajs, which notices at its next heartbeat once the batch in hand is done, and rejoins.
    this.rejoinWhenIdle = true;
    if (!this.isBusy()) queueMicrotask(() => this.rejoinIfIdle());
  }

  private join(): void {
    const groups = this.broker.groups;
    this.membership = groups.group(this.options.groupId).join(this, groups.nextMemberId(this.clientId));
  }

  private rejoinIfIdle(): void {
    if (!this.rejoinWhenIdle || this.closing || this.isBusy()) return;
    this.rejoinWhenIdle = false;
    this.join();
  }

  private createFetchers(group: ConsumerGroup): void {
    for (const topicPartition of this.owned) {
      const log = this.broker.topics.get(topicPartition.topic)?.partitions[topicPartition.partition];
      if (log === undefined) continue;
      // kafkajs starts every assigned partition, kept or new, from the committed offset after each
      // rebalance: what was handled but not committed is delivered again.
      const key = topicPartitionKey(topicPartition);
      const sought = this.pendingSeeks.get(key)?.offset;
      this.pendingSeeks.delete(key);
      const position = sought ?? group.committedOffset(log.topic, log.partition) ?? this.resetPosition(log);
      this.fetchers.set(key, new PartitionFetcher(log, position, () => this.wake()));
    }
    this.fetchOrder = [...this.fetchers.values()];
    this.cursor = 0;
  }

  /** Calls the revoking hook with the partitions owned now, once per assignment. */
  private startRevoking(): void {
    this.revokeWhenIdle = false;
    if (this.revokedOwned) return;
    this.revokedOwned = true;
    const partitions = this.owned;
    if (this.handlers.onPartitionsRevoking === undefined || partitions.length === 0) return;
    const running = settleHook(() => this.handlers.onPartitionsRevoking?.(partitions), {
      name: 'onPartitionsRevoking',
      timeoutMs: this.options.rebalanceTimeoutMs,
      report: (error) => this.report(error, false),
    }).then(() => {
      if (this.revoking !== running) return;
      this.revoking = undefined;
      this.membership?.group.memberSettled();
      this.rejoinIfIdle();
    });
    this.revoking = running;
  }

  /** Holds every fetcher of the new assignment until the hook settles, then seeks where it said. */
  private startAssignmentHook(ownedBefore: ReadonlySet<string>): void {
    if (this.handlers.onPartitionsAssigned === undefined) return;
    const epoch = this.assignmentEpoch;
    const fetchers = [...this.fetchers.values()];
    for (const fetcher of fetchers) fetcher.held = true;
    const partitions = Object.freeze(
      this.owned.map(
        ({ topic, partition }): AssignedPartition =>
          Object.freeze({
            topic,
            partition,
            isNew: !ownedBefore.has(topicPartitionKey({ topic, partition })),
          }),
      ),
    );
    const report = (error: InletError) => this.report(error, false);
    void settleHook(() => this.handlers.onPartitionsAssigned?.(partitions), {
      name: 'onPartitionsAssigned',
      report,
    }).then((outcome) => {
      if (epoch !== this.assignmentEpoch || this.closing) return;
      const starts = outcome.ok ? checkedStartOffsets(outcome.value, partitions, report) : [];
      for (const start of starts) this.fetchers.get(topicPartitionKey(start))?.seek(start.offset);
      for (const fetcher of fetchers) fetcher.held = false;
      this.wake();
    });
  }

  private revokeAll(): void {
    for (const fetcher of this.fetchers.values()) fetcher.revoke();
    this.fetchers.clear();
    this.fetchOrder = [];
  }

  private resetPosition(log: PartitionLog): number {
    // For read_committed, Kafka's "latest" is the last stable offset, not the high watermark.
    return this.options.autoOffsetReset === 'earliest'
      ? log.logStartOffset
      : log.endOffset(this.options.isolation);
  }

  private schedule(): void {
    const membership = this.membership;
    if (this.closing || membership === undefined || !membership.active || membership.group.isRebalancing)
      return;
    const count = this.fetchOrder.length;
    const limit = this.options.partitionsConsumedConcurrently;
    for (let step = 0; step < count && this.inFlight < limit; step += 1) {
      const index = (this.cursor + step) % count;
      const fetcher = this.fetchOrder[index] as PartitionFetcher;
      if (!fetcher.ready || this.paused.has(fetcher.log)) continue;
      const read = this.fetch(fetcher);
      if (read === undefined) continue;
      this.cursor = (index + 1) % count;
      this.deliver(fetcher, read);
    }
  }

  private fetch(fetcher: PartitionFetcher): LogRead | undefined {
    const { log } = fetcher;
    if (log.isDeleted) return undefined;
    if (fetcher.position < log.logStartOffset || fetcher.position > log.highWatermark) {
      // Kafka answers OFFSET_OUT_OF_RANGE, and the consumer falls back to autoOffsetReset.
      fetcher.position = this.resetPosition(log);
    }
    const read = log.read(fetcher.position, this.options.isolation, this.options.maxBytesPerPartition);
    // A read past markers or aborted records only is delivered too, with no records: the owner
    // learns where the partition's next fetch starts, as it commits that far.
    return read.entries.length > 0 || read.nextOffset > fetcher.position ? read : undefined;
  }

  private deliver(fetcher: PartitionFetcher, read: LogRead): void {
    const { log } = fetcher;
    const batch = toIncomingBatch(log, read, log.highWatermark);
    const epoch = fetcher.epoch;
    const controls: BatchControls = {
      heartbeat: () => this.heartbeat(),
      isStale: () => fetcher.isStale(epoch),
    };
    this.batchStarted(fetcher);
    void new Promise<void>((resolve) => resolve(this.handlers.onBatch(batch, controls))).then(
      () => this.batchSettled(fetcher, epoch, read.nextOffset, batch, undefined),
      (error: unknown) => this.batchSettled(fetcher, epoch, read.nextOffset, batch, { error }),
    );
  }

  private batchStarted(fetcher: PartitionFetcher): void {
    fetcher.inFlight = true;
    this.inFlight += 1;
    if (this.inFlight === 1) {
      this.lastHeartbeatAt = Date.now();
      this.armSessionTimer(this.options.sessionTimeoutMs);
    }
  }

  private batchSettled(
    fetcher: PartitionFetcher,
    epoch: number,
    nextOffset: number,
    batch: IncomingBatch,
    failure: { readonly error: unknown } | undefined,
  ): void {
    fetcher.inFlight = false;
    this.inFlight -= 1;
    this.lastHeartbeatAt = Date.now();
    const stale = fetcher.isStale(epoch);
    if (failure === undefined) {
      if (!stale) fetcher.succeeded(nextOffset);
    } else {
      const first = batch.records[0]?.offset ?? String(fetcher.position);
      const next = stale ? 'its partition has moved on' : 'the batch will be delivered again';
      this.report(
        new InletError(
          InletErrorCode.handlerFailed,
          `onBatch failed for ${batch.topic}/${batch.partition} at offset ${first}; ${next}`,
          { cause: failure.error, retryable: true },
        ),
        false,
      );
      if (!stale && !this.closing) fetcher.failed();
    }
    if (this.inFlight === 0) this.becameIdle();
    this.wake();
  }

  private becameIdle(): void {
    this.stopSessionTimer();
    // Before the group hears the member settled: it is busy again while the hook runs.
    if (this.revokeWhenIdle) this.startRevoking();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.membership?.group.memberSettled();
    this.rejoinIfIdle();
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Heartbeats are implicit between batches (kafkajs sends them from its fetch loop), so only a
   * batch that runs past the session timeout without calling heartbeat() lets the session lapse.
   * During a rebalance, or after removal, the broker refuses heartbeats; as in the kafkajs
   * transport that is no error here: the batch is already stale, which says the same.
   */
  private heartbeat(): Promise<void> {
    this.lastHeartbeatAt = Date.now();
    return Promise.resolve();
  }

  private armSessionTimer(delayMs: number): void {
    this.stopSessionTimer();
    this.sessionTimer = setTimeout(() => this.checkSession(), delayMs);
    this.sessionTimer.unref();
  }

  private stopSessionTimer(): void {
    if (this.sessionTimer !== undefined) clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
  }

  private checkSession(): void {
    this.sessionTimer = undefined;
    const membership = this.membership;
    if (this.inFlight === 0 || membership === undefined || !membership.active) return;
    const timeoutMs = this.options.sessionTimeoutMs;
    const silentMs = Date.now() - this.lastHeartbeatAt;
    if (silentMs < timeoutMs) {
      this.armSessionTimer(timeoutMs - silentMs);
      return;
    }
    membership.group.expel(membership, `no heartbeat for ${silentMs} ms (sessionTimeoutMs is ${timeoutMs})`);
  }

  private resolveFirstAssignment(): void {
    const resolve = this.firstAssignment;
    this.firstAssignment = undefined;
    resolve?.();
  }

  private callHandler(name: HandlerName, call: () => void): void {
    try {
      call();
    } catch (cause) {
      this.report(new InletError(InletErrorCode.handlerFailed, `${name} threw`, { cause }), false);
    }
  }

  private report(error: InletError, fatal: boolean): void {
    const { logger } = this.broker.options;
    if (this.handlers.onError === undefined) {
      logger.warn(error.message, { code: error.code, groupId: this.options.groupId });
      return;
    }
    try {
      this.handlers.onError(error, fatal);
    } catch (cause) {
      logger.error('onError threw', { code: error.code, groupId: this.options.groupId, cause });
    }
  }
}
