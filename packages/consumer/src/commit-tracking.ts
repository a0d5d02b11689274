import type { InletLogger, TopicPartitionOffset, TransportConsumer } from '@inlet/core';
import { consumerChannels } from './consumer-diagnostics';
import type { PartitionState, PartitionStates } from './partition-states';
import { toInletError } from './retries';
import type { CommitSlot, WorkItem } from './work-item';

export interface CommitTrackingOptions {
  readonly groupId: string;
  readonly partitions: PartitionStates;
  readonly logger: InletLogger;
  /** A partition whose committable offset has not moved for this long, with work pending, is stalled. */
  readonly stallThresholdMs: number;
  /** What holds a stalled partition's offset, for the report. */
  readonly describeStall: (state: PartitionState, offset: number) => string;
}

/**
 * The commit tracking stage. An offset becomes committable once it and every earlier one are
 * done; an event's offset is done when the event is (handled, skipped, or dead-lettered) and
 * every hold on its commit is released (a sink releases when its rows are durable). `commit()`
 * commits what is committable, one commit at a time. `watch()`, run with each commit, reports
 * a partition that cannot progress (its committable offset stuck while work is pending) once it
 * has been stuck for the threshold, and again when it moves.
 */
export class CommitTracking {
  readonly #options: CommitTrackingOptions;
  #consumer: TransportConsumer | undefined;
  #committing: Promise<void> = Promise.resolve();

  constructor(options: CommitTrackingOptions) {
    this.#options = options;
  }

  set consumer(consumer: TransportConsumer) {
    this.#consumer = consumer;
  }

  /** Marks an item's offset done, unless holds on its commit are still out (then on the last release). */
  done(item: WorkItem): void {
    const slot = item.commit;
    if (slot.holds > 0) {
      slot.awaitingRelease = true;
      return;
    }
    this.#complete(slot);
  }

  /** Holds the commit of an item's offset until the returned function is called (once). */
  hold(item: WorkItem): () => void {
    return this.#holdSlot(item.commit);
  }

  // Apart from hold(): the function it returns keeps the slot, not the item.
  #holdSlot(slot: CommitSlot): () => void {
    slot.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.holds -= 1;
      if (slot.holds === 0 && slot.awaitingRelease) {
        slot.awaitingRelease = false;
        this.#complete(slot);
      }
    };
  }

  #complete(slot: CommitSlot): void {
    const { partitions } = this.#options;
    if (slot.epoch !== partitions.epoch) return;
    partitions.get(slot.partitionKey)?.tracker.complete(slot.offset);
  }

  /** Commits what is committable in every owned partition; a commit already under way goes first. */
  commit(): Promise<void> {
    this.#committing = this.#committing.then(() => this.#commitOnce());
    return this.#committing;
  }

  async #commitOnce(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const { partitions, groupId, logger } = this.#options;
    this.watch();
    const offsets: TopicPartitionOffset[] = [];
    for (const state of partitions.values()) {
      const committable = state.tracker.committable();
      if (committable === undefined || committable === state.lastCommitted) continue;
      offsets.push({ topic: state.topic, partition: state.partition, offset: String(committable) });
    }
    if (offsets.length === 0) return;
    const epoch = partitions.epoch;
    try {
      await consumer.commit(offsets);
      if (epoch === partitions.epoch) {
        for (const { topic, partition, offset } of offsets) {
          const state = partitions.stateFor(topic, partition);
          state.lastCommitted = Number(offset);
        }
      }
      if (consumerChannels.committed.hasSubscribers) consumerChannels.committed.publish({ groupId, offsets });
    } catch (error) {
      // A rebalance got there first: the next owner starts from the last commit that landed.
      logger.warn('commit failed', { groupId, error: toInletError(error).message });
    }
  }

  /** Reports partitions that stalled, and those that moved again. */
  watch(now = Date.now()): void {
    const { partitions, stallThresholdMs, groupId, logger, describeStall } = this.#options;
    for (const state of partitions.values()) {
      const committable = state.tracker.committable();
      const pending = state.tracker.pending();
      if (committable !== state.progressOffset || pending === 0) {
        if (state.stalledSince !== undefined) {
          const stalledForMs = now - state.stalledSince;
          logger.info('partition progressing again', {
            groupId,
            topic: state.topic,
            partition: state.partition,
            stalledForMs,
          });
          if (consumerChannels.stall.hasSubscribers) {
            consumerChannels.stall.publish({
              groupId,
              topic: state.topic,
              partition: state.partition,
              state: 'progressing',
              offset: committable === undefined ? undefined : String(committable),
              stalledForMs,
              pending,
              cause: undefined,
            });
          }
          state.stalledSince = undefined;
        }
        state.progressOffset = committable;
        state.progressAt = now;
        continue;
      }
      if (state.stalledSince !== undefined || now - state.progressAt < stallThresholdMs) continue;
      state.stalledSince = state.progressAt;
      const offset = committable as number;
      const cause = describeStall(state, offset);
      const stalledForMs = now - state.progressAt;
      logger.warn('partition stalled', {
        groupId,
        topic: state.topic,
        partition: state.partition,
        offset: String(offset),
        stalledForMs,
        pending,
        cause,
      });
      if (consumerChannels.stall.hasSubscribers) {
        consumerChannels.stall.publish({
          groupId,
          topic: state.topic,
          partition: state.partition,
          state: 'stalled',
          offset: String(offset),
          stalledForMs,
          pending,
          cause,
        });
      }
    }
  }
}
