import { channel } from 'node:diagnostics_channel';
import type { InletError } from '@inlet/core';

/** A batch the broker acknowledged. */
export interface BatchSentMessage {
  readonly producerId: string;
  readonly records: number;
  readonly bytes: number;
  /** When the broker's acknowledgement came (ms since the epoch). */
  readonly ackedAt: number;
  /** From the batch's send to its acknowledgement (all attempts). */
  readonly ackLatencyMs: number;
  /** From its oldest record's acceptance by `send` to the acknowledgement. */
  readonly queueLatencyMs: number;
  readonly attempts: number;
  /** Where each record landed, in the batch's order, with its event's W3C trace context. */
  readonly events: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly eventId: string;
    readonly traceparent: string | undefined;
    /** The event's time (ms since the epoch): with `ackedAt`, freshness to the broker. */
    readonly eventTime: number;
  }[];
}

export interface BatchRetryMessage {
  readonly producerId: string;
  readonly records: number;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: InletError;
}

export interface BatchFailedMessage {
  readonly producerId: string;
  readonly records: number;
  readonly eventIds: readonly string[];
  readonly error: InletError;
}

/**
 * The producer's diagnostics channels (`node:diagnostics_channel`). `@inlet/monitor` subscribes
 * to them; anything else may too. Messages are built only when a channel has subscribers.
 */
export const producerChannels = {
  batchSent: channel('inlet:producer:batch-sent'),
  batchRetry: channel('inlet:producer:batch-retry'),
  batchFailed: channel('inlet:producer:batch-failed'),
} as const;

/** Running totals of one producer, from `producer.stats()`. */
export interface ProducerStats {
  /** Events acknowledged by the broker. */
  readonly sent: number;
  /** Events that failed after their retries (or at once, for non-retryable errors). */
  readonly failed: number;
  /** Events refused before sending (invalid data, contract, size, schema). */
  readonly refused: number;
  /** Batch attempts retried. */
  readonly retries: number;
  readonly batches: number;
  /** Accepted and not yet acknowledged or failed. */
  readonly bufferedRecords: number;
  readonly bufferedBytes: number;
  readonly meanBatchRecords: number;
}
