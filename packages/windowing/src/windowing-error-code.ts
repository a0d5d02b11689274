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
  /**
   * A key came in a second input partition while another one this instance owns holds its
   * windows: the input is not partitioned by the window key, and its results would collide.
   * The windowing stops with it (unless `checkKeyPartitions: false`).
   */
  keyInTwoPartitions: 'INLET_WINDOWING_KEY_IN_TWO_PARTITIONS',
} as const;

export type WindowingErrorCode = (typeof WindowingErrorCode)[keyof typeof WindowingErrorCode];
