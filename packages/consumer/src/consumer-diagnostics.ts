import { channel } from 'node:diagnostics_channel';
import type { InletError } from '@inlet/core';

export interface EventOutcomeMessage {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly eventId: string | undefined;
  /** From the event's time to the end of its handling (end-to-end freshness). */
  readonly freshnessMs: number | undefined;
  readonly handlingMs: number;
  /** The event's W3C trace context, when it carries one. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
}

export interface DeadLetteredMessage {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly deadLetterTopic: string;
  readonly error: InletError;
  readonly attempts: number;
}

/** A failed attempt about to be retried: the handler's, or a call to a store or the dead-letter topic. */
export interface RetryMessage {
  readonly groupId: string;
  /** `handler`, or the service called (`dedup store`, `version store`, `dead-letter topic`...). */
  readonly service: string;
  readonly operation: string;
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  readonly error: InletError;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

/** The consumer stopped because something failed past its retries. */
export interface ConsumerFailedMessage {
  readonly groupId: string;
  readonly error: InletError;
}

/**
 * A partition that cannot progress: its committable offset has not moved for the stall threshold
 * while work is pending (`stalled`), or moves again (`progressing`).
 */
export interface StallMessage {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly state: 'stalled' | 'progressing';
  /** The offset that does not commit. */
  readonly offset: string | undefined;
  readonly stalledForMs: number;
  /** Fetched records of the partition not done yet. */
  readonly pending: number;
  /** What holds the offset, as far as the consumer can tell (`stalled` only). */
  readonly cause: string | undefined;
}

/** The group settled on a new assignment for this member. */
export interface RebalanceMessage {
  readonly groupId: string;
  /** Everything this member owns now. */
  readonly assigned: readonly { readonly topic: string; readonly partition: number }[];
  /** Owned before, not any more. */
  readonly revoked: readonly { readonly topic: string; readonly partition: number }[];
  /** How many assignments this consumer has had. */
  readonly rebalances: number;
}

export interface CommitMessage {
  readonly groupId: string;
  readonly offsets: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
  }[];
}

/** The consumer's diagnostics channels (`node:diagnostics_channel`), for `@inlet/monitor` and others. */
export const consumerChannels = {
  handled: channel('inlet:consumer:handled'),
  duplicate: channel('inlet:consumer:duplicate'),
  stale: channel('inlet:consumer:stale'),
  retry: channel('inlet:consumer:retry'),
  deadLettered: channel('inlet:consumer:dead-lettered'),
  committed: channel('inlet:consumer:committed'),
  failed: channel('inlet:consumer:failed'),
  stall: channel('inlet:consumer:stall'),
  rebalance: channel('inlet:consumer:rebalance'),
} as const;

/** Where a consumer is in its life. */
export type ConsumerState = 'created' | 'running' | 'closing' | 'closed' | 'failed';

/** Running totals of one consumer, from `consumer.stats()`. */
export interface ConsumerStats {
  /** Events the handler completed. */
  readonly handled: number;
  /** Events skipped because their dedup key was already handled. */
  readonly duplicates: number;
  /** Events skipped because their entity version was not newer than the last handled one. */
  readonly stale: number;
  /** Handler attempts retried. */
  readonly retries: number;
  /** Calls to the dedup or version store or to the dead-letter topic retried. */
  readonly serviceRetries: number;
  readonly deadLettered: number;
  /** Events fetched and not yet done. */
  readonly inFlight: number;
  readonly inFlightBytes: number;
  /** Per partition: fetched records whose offsets are not committed yet. */
  readonly uncommitted: Readonly<Record<string, number>>;
  readonly rebalances: number;
  readonly state: ConsumerState;
  /** Why the consumer stopped, when `state` is `failed`. */
  readonly failure: InletError | undefined;
}
