import type { Tombstone } from '@inlet/consumer';
import type { EntityKey, TopicPartition, TopicPartitionOffset } from '@inlet/core';

/** An event to write: upserted by its key (keyed sinks) or appended. */
export interface SinkUpsert<TEvent> {
  readonly kind: 'upsert';
  readonly event: TEvent;
  readonly key: EntityKey;
  /** The entity's version: a keyed sink never lets an older one overwrite a newer one. */
  readonly entityVersion: number | undefined;
  readonly offset: string;
}

/** An entity deleted: a tombstone, or a CDC delete. A keyed sink keeps its version, so that a late, older update cannot bring it back. */
export interface SinkDelete {
  readonly kind: 'delete';
  readonly tombstone: Tombstone;
  readonly key: EntityKey;
  readonly entityVersion: number | undefined;
  readonly offset: string;
}

export type SinkChange<TEvent> = SinkUpsert<TEvent> | SinkDelete;

/** One partition's changes, in offset order: what a sink writes at once. */
export interface SinkBatch<TEvent> {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly changes: readonly SinkChange<TEvent>[];
  /**
   * The offset to resume from once this batch is written (one past its last change). A sink that
   * keeps its own offsets stores it with the rows, in the same transaction (exactly once).
   */
  readonly nextOffset: string;
}

/** A change the target refused for good (a constraint, a value it rejects): it is dead-lettered, the rest lands. */
export interface SinkRejection {
  /** Its index in `batch.changes`. */
  readonly index: number;
  /** Why, in the target's words (an InletError with the target's code is best). */
  readonly error: unknown;
}

export interface SinkWriteResult {
  readonly rejected?: readonly SinkRejection[];
}

export interface SinkWriteContext {
  /** Fires when the pipeline stops waiting (closing, or the partition moved away). */
  readonly signal: AbortSignal;
}

/**
 * A target system events land in. `write` resolves once the batch is durable in the target, and
 * only then are its offsets committed. It must be idempotent (after a crash a batch is written
 * again), keep the order of changes of one key, and tell failures apart: a change the target
 * refuses for good is returned in `rejected` (the rest of the batch must land); a failure of the
 * whole write is thrown, as an error whose `retryable` flag says whether trying again may help
 * (`InletError`; other errors count as retryable). `describeSinkContract` from
 * `@inlet/sinks/contract` checks a sink against these rules.
 */
export interface Sink<TEvent> {
  /** For logs and diagnostics: `postgres:orders`, `redis`, … */
  readonly name: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a sink that refuses nothing may return nothing
  write(batch: SinkBatch<TEvent>, context: SinkWriteContext): Promise<SinkWriteResult | undefined | void>;
  /**
   * For a sink that keeps its own offsets with its rows (exactly once): the offsets to resume the
   * given partitions from, those it has none for left out. The pipeline starts newly assigned
   * partitions there, whatever the group's committed offsets say.
   */
  storedOffsets?(
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<readonly TopicPartitionOffset[]>;
  /** Lets go of what the sink holds; not of clients the user gave it. */
  close(): Promise<void>;
}
