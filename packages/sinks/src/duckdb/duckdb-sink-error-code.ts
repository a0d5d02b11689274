/**
 * The codes only the DuckDB sink raises. Codes are public API and never change meaning; match on
 * them, not on messages.
 */
export const DuckDbSinkErrorCode = {
  /** DuckDB refused one row for good (a constraint, a value it cannot convert): it is dead-lettered. */
  rowRejected: 'INLET_DUCKDB_ROW_REJECTED',
  /** The database could not be used for now (I/O, the file locked, a write conflict, out of memory); retried. */
  unavailable: 'INLET_DUCKDB_UNAVAILABLE',
  /** DuckDB refused the statement itself (a missing table, a wrong type, SQL it cannot bind): not retried. */
  failed: 'INLET_DUCKDB_FAILED',
  /** The target table does not fit the sink (no such table, a missing column, no unique key to upsert on). */
  tableMismatch: 'INLET_DUCKDB_TABLE_MISMATCH',
  /** Two event properties meet in one derived column, or one lands on a column the sink keeps for itself. */
  columnConflict: 'INLET_DUCKDB_COLUMN_CONFLICT',
} as const;

export type DuckDbSinkErrorCode = (typeof DuckDbSinkErrorCode)[keyof typeof DuckDbSinkErrorCode];
