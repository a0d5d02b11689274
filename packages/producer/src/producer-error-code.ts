/**
 * The codes only the producer raises. It raises core's codes too (`InletErrorCode` in
 * `@inlet/core`: validation, schemas, the transport's `INLET_KAFKA_*`, `INLET_CLOSED`...).
 * Codes are public API and never change meaning; match on them, not on messages.
 */
export const ProducerErrorCode = {
  /** Accepted events could not be delivered: a `SendFailedError`, whose `reason` says why. */
  sendFailed: 'INLET_SEND_FAILED',
  /** The buffer had no room in time (or at once, with `buffer.whenFull: 'fail'`); retryable. */
  bufferFull: 'INLET_BUFFER_FULL',
} as const;

export type ProducerErrorCode = (typeof ProducerErrorCode)[keyof typeof ProducerErrorCode];
