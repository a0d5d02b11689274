import { closedError, type TopicPartition } from '@inlet/core';
import { PartitionTracker } from './partition-tracker';
import { partitionKeyOf } from './work-item';

/** What the consumer knows of one partition it owns. */
export interface PartitionState {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  tracker: PartitionTracker;
  readonly controller: AbortController;
  /** Fires when the partition is revoked (after the drain deadline) or the consumer closes. */
  readonly signal: AbortSignal;
  lastCommitted: number | undefined;
  /** The latest high watermark seen in a fetched batch. */
  highWatermark: string | undefined;
  /** When the committable offset last moved, or work last arrived with nothing pending (ms). */
  progressAt: number;
  /** The committable offset `progressAt` was taken at. */
  progressOffset: number | undefined;
  /** Since when it is reported stalled, when it is. */
  stalledSince: number | undefined;
}

/**
 * The partitions this member owns, and the epoch: every assignment starts a new one, and work
 * fetched under an earlier epoch never commits (the transport delivers every owned partition
 * again from its committed offset after a rebalance). A revoked partition's work gets its
 * signal after `drainTimeoutMs`.
 */
export class PartitionStates {
  readonly #states = new Map<string, PartitionState>();
  readonly #closing: AbortSignal;
  readonly #drainTimeoutMs: number;
  #epoch = 0;

  constructor(closing: AbortSignal, drainTimeoutMs: number) {
    this.#closing = closing;
    this.#drainTimeoutMs = drainTimeoutMs;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get(key: string): PartitionState | undefined {
    return this.#states.get(key);
  }

  values(): IterableIterator<PartitionState> {
    return this.#states.values();
  }

  stateFor(topic: string, partition: number): PartitionState {
    const key = partitionKeyOf(topic, partition);
    let state = this.#states.get(key);
    if (state === undefined) {
      const controller = new AbortController();
      state = {
        key,
        topic,
        partition,
        tracker: new PartitionTracker(),
        controller,
        signal: AbortSignal.any([controller.signal, this.#closing]),
        lastCommitted: undefined,
        highWatermark: undefined,
        progressAt: Date.now(),
        progressOffset: undefined,
        stalledSince: undefined,
      };
      this.#states.set(key, state);
    }
    return state;
  }

  /** The signal for work of a partition: the partition's, or the closing one once it is gone. */
  signalFor(partitionKey: string): AbortSignal {
    return this.#states.get(partitionKey)?.signal ?? this.#closing;
  }

  /**
   * A new assignment: starts a new epoch, forgets what owned partitions had tracked (it is
   * delivered again), and lets go of partitions no longer owned. Returns those, and the newly
   * owned ones.
   */
  assign(assignment: readonly TopicPartition[]): { revoked: PartitionState[]; added: PartitionState[] } {
    this.#epoch += 1;
    const owned = new Set(assignment.map(({ topic, partition }) => partitionKeyOf(topic, partition)));
    const revoked: PartitionState[] = [];
    for (const [key, state] of this.#states) {
      if (owned.has(key)) {
        state.tracker = new PartitionTracker();
        state.lastCommitted = undefined;
        state.progressAt = Date.now();
        state.progressOffset = undefined;
        state.stalledSince = undefined;
        continue;
      }
      const { controller } = state;
      setTimeout(() => controller.abort(closedError('partition (revoked)')), this.#drainTimeoutMs).unref();
      this.#states.delete(key);
      revoked.push(state);
    }
    const added: PartitionState[] = [];
    for (const { topic, partition } of assignment) {
      const key = partitionKeyOf(topic, partition);
      if (!this.#states.has(key)) added.push(this.stateFor(topic, partition));
    }
    return { revoked, added };
  }
}
