/**
 * The codes only the consumer raises. It raises others' codes too: core's (`InletErrorCode` in
 * `@inlet/core`: decoding, validation, `INLET_HANDLER_FAILED` for a handler that threw, the
 * transport's `INLET_KAFKA_*`...) and the stores' (`StoreErrorCode` in `@inlet/store-errors`).
 * Codes are public API and never change meaning; match on them, not on messages.
 */
export const ConsumerErrorCode = {
  /** Writing to the dead-letter topic failed for good (or dead-lettering is off): the consumer stops. */
  deadLetterFailed: 'INLET_DEAD_LETTER_FAILED',
} as const;

export type ConsumerErrorCode = (typeof ConsumerErrorCode)[keyof typeof ConsumerErrorCode];
