/**
 * The codes only the webhook sink raises. Codes are public API and never change meaning; match
 * on them, not on messages.
 */
export const WebhookSinkErrorCode = {
  /** The circuit breaker is open after consecutive failed requests: the write was not sent. Retryable. */
  circuitOpen: 'INLET_WEBHOOK_CIRCUIT_OPEN',
  /**
   * The receiver kept failing (408, 425, 429, 5xx, a network error or a timeout) past the sink's
   * own retries. Retryable: the pipeline's retry takes over. The last failure is the cause.
   */
  unavailable: 'INLET_WEBHOOK_UNAVAILABLE',
  /** The receiver refused a change for good (another 4xx): the reason of a rejected change. */
  rejected: 'INLET_WEBHOOK_REJECTED',
} as const;

export type WebhookSinkErrorCode = (typeof WebhookSinkErrorCode)[keyof typeof WebhookSinkErrorCode];
