/**
 * The codes only the monitor raises; it raises core's too (`INLET_INVALID_OPTION`,
 * `INLET_CLOSED`, `INLET_ABORTED`, `INLET_TIMEOUT`). Match on codes, not on messages.
 */
export const MonitorErrorCode = {
  /** Reading a group's committed offsets, the end offsets or a record's timestamp failed. */
  lagReadFailed: 'INLET_MONITOR_LAG_READ_FAILED',
  /** A webhook hook gave up after its retries. */
  webhookFailed: 'INLET_MONITOR_WEBHOOK_FAILED',
} as const;

export type MonitorErrorCode = (typeof MonitorErrorCode)[keyof typeof MonitorErrorCode];
