import { InletError, InletErrorCode } from '@inlet/core';

/**
 * Events the broker never acknowledged: a non-retryable error, the retry budget, or the delivery
 * timeout. They may or may not be in the topic (an acknowledgement can be lost after a write),
 * so treat them as unknown, never as sent. `cause` is the last error.
 */
export class SendFailedError extends InletError {
  override readonly name: string = 'SendFailedError';
  /** The ids of the events that were not acknowledged. */
  readonly eventIds: readonly string[];
  readonly attempts: number;

  constructor(message: string, eventIds: readonly string[], attempts: number, cause: unknown) {
    super(InletErrorCode.sendFailed, message, { cause });
    this.eventIds = eventIds;
    this.attempts = attempts;
  }
}
