import type { AnyEventDefinition, IncomingRecord, InletError, InletEvent } from '@inlet/core';
import type { Tombstone } from './tombstone';

/** One fetched record on its way through the consumer's stages. */
export interface WorkItem {
  /** The assignment it was fetched under: work of an earlier one never commits. */
  readonly epoch: number;
  readonly partitionKey: string;
  /** Records with the same Kafka key, whoever produced them, share a lane. */
  readonly laneKey: string;
  readonly record: IncomingRecord;
  readonly offset: number;
  /** The partition's high watermark when the record was fetched. */
  readonly highWatermark: string;
  /**
   * Where the fetch that brought it ended: one past the last offset it covered, records the
   * consumer skipped and transaction markers included (the transport's `nextOffset`).
   */
  fetchEnd?: string;
  /** The decoded event, or a tombstone (with `tombstones: 'deliver'`), or undefined when it did not decode. */
  readonly event: InletEvent | Tombstone | undefined;
  readonly definition: AnyEventDefinition | undefined;
  readonly decodeError: InletError | undefined;
  /**
   * The event's dedup key ('' when the record did not decode), as `dedup.key` gives it: this
   * consumer's own marks need no more; stores shared with other groups get it namespaced by the
   * group (`DedupMarks.storeKey`).
   */
  readonly dedupKey: string;
  /** The version-store key of the event's entity, when the gate is on and the event has a version. */
  readonly versionKey: string | undefined;
  readonly entityVersion: number | undefined;
  readonly bytes: number;
  /** Counted and let go: nothing more happens to it (its commit may still be held). */
  settled: boolean;
  readonly commit: CommitSlot;
}

/**
 * What a commit hold keeps of a work item: its place and its holds, not the record or the event.
 * A hold can outlive the item by seconds (windowing holds until its checkpoint): holding the
 * whole item would keep every record, its fetch response and its event alive that long.
 */
export interface CommitSlot {
  readonly epoch: number;
  readonly partitionKey: string;
  readonly offset: number;
  /** Commit holds not yet released (see `HandlerContext.holdCommit`). */
  holds: number;
  /** Done, with its offset waiting for the holds to be released before it may commit. */
  awaitingRelease: boolean;
}

/** A partition's batch of work, for `handleBatch` consumers. */
export interface BatchWork {
  readonly epoch: number;
  readonly partitionKey: string;
  readonly items: readonly WorkItem[];
}

/** How an item ended; `abandoned` leaves its offset uncommitted, to be delivered again. */
export type Outcome = 'handled' | 'duplicate' | 'stale' | 'dead-lettered' | 'abandoned';

export function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
