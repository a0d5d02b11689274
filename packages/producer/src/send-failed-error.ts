import { InletError } from '@inlet/core';
import { ProducerErrorCode } from './producer-error-code';

/** Why events were not acknowledged. */
export type SendFailureReason =
  /** The broker answered with an error that sending again cannot fix. */
  | 'not-retryable'
  /** Retryable errors until `retry.retries` ran out. */
  | 'retries-exhausted'
  /** `retry.deliveryTimeoutMs` ran out, possibly while a request was still unanswered. */
  | 'delivery-timeout'
  /** The producer was closed (`close({ signal })` gave up) before they were acknowledged. */
  | 'closed';

/**
 * Events the broker never acknowledged: a non-retryable error, the retry budget, the delivery
 * timeout, or a close that stopped waiting. They may or may not be in the topic (an
 * acknowledgement can be lost after a write, and a request abandoned at the delivery timeout may
 * still be written), so treat them as unknown, never as sent: resend them with the same event
 * ids, and consumers deduplicate them. `cause` is the last error.
 */
export class SendFailedError extends InletError {
  override readonly name: string = 'SendFailedError';
  /** The ids of the events that were not acknowledged. */
  readonly eventIds: readonly string[];
  readonly attempts: number;
  readonly reason: SendFailureReason;

  constructor(
    message: string,
    eventIds: readonly string[],
    attempts: number,
    cause: unknown,
    reason: SendFailureReason = 'not-retryable',
  ) {
    super(ProducerErrorCode.sendFailed, message, { cause });
    this.eventIds = eventIds;
    this.attempts = attempts;
    this.reason = reason;
  }
}
