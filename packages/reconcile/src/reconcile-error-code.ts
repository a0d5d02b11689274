/**
 * The codes only `@inlet/reconcile` raises. Codes are public API and never change meaning; match
 * on them, not on messages. Options are refused with core's `INLET_INVALID_OPTION`, an aborted
 * run with `INLET_ABORTED`, a call after `close()` with `INLET_CLOSED`.
 */
export const ReconcileErrorCode = {
  /** The table a source or sink names does not exist. */
  missingTable: 'INLET_RECONCILE_MISSING_TABLE',
  /** A column named (the key, a compared column, the time column) is not in the table. */
  missingColumn: 'INLET_RECONCILE_MISSING_COLUMN',
  /** A compared column has a type with no canonical form (json, arrays, …): leave it out with `columns`. */
  uncomparableType: 'INLET_RECONCILE_UNCOMPARABLE_TYPE',
  /** A stored value could not be read as a row (a Redis value that is not a JSON object, a key of another type). */
  unreadableValue: 'INLET_RECONCILE_UNREADABLE_VALUE',
  /** A record of the topic could not be decoded. */
  undecodableRecord: 'INLET_RECONCILE_UNDECODABLE_RECORD',
} as const;

export type ReconcileErrorCode = (typeof ReconcileErrorCode)[keyof typeof ReconcileErrorCode];
