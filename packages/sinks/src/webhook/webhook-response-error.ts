import { InletError } from '@inlet/core';
import { WebhookSinkErrorCode } from './webhook-sink-error-code';

/**
 * The receiver answered with a failure status: `INLET_WEBHOOK_REJECTED` (a 4xx about the request,
 * not retryable: the reason of a rejected change) or `INLET_WEBHOOK_UNAVAILABLE` (408, 425, 429,
 * 5xx: retryable). `responseBody` is the start of what it answered.
 */
export class WebhookResponseError extends InletError {
  override readonly name: string = 'WebhookResponseError';
  readonly status: number;
  readonly responseBody: string;

  constructor(status: number, responseBody: string) {
    const retryable = isRetryableStatus(status);
    super(
      retryable ? WebhookSinkErrorCode.unavailable : WebhookSinkErrorCode.rejected,
      `the receiver answered ${status}${responseBody === '' ? '' : `: ${responseBody}`}`,
      { retryable },
    );
    this.status = status;
    this.responseBody = responseBody;
  }
}

/** Statuses that say "not now" rather than "not this": retried. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
