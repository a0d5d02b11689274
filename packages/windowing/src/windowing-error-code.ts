/**
 * The codes only the windowing raises (option and state errors use the core ones:
 * `INLET_INVALID_OPTION`, `INLET_CLOSED`). Codes are public API and never change meaning; match
 * on them, not on messages.
 */
export const WindowingErrorCode = {
  /**
   * `recent(key, at)` asked for values the state no longer holds: before the partition's
   * watermark − grace − size (− retainMs with the `update` policy) they are purged, and the
   * answer would leave them out.
   */
  queryBeyondState: 'INLET_WINDOWING_QUERY_BEYOND_STATE',
} as const;

export type WindowingErrorCode = (typeof WindowingErrorCode)[keyof typeof WindowingErrorCode];
