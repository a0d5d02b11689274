/**
 * The codes only the PostgreSQL sink raises. Whole-write failures of the database itself are
 * classified into the stores' codes (`StoreErrorCode` in `@inlet/store-errors`). Codes are public
 * API and never change meaning; match on them, not on messages.
 */
export const PostgresSinkErrorCode = {
  /** The target table does not exist (and `ensureTable` is off). */
  missingTable: 'INLET_POSTGRES_SINK_MISSING_TABLE',
  /** The target table lacks columns the sink writes; the error names them. */
  missingColumns: 'INLET_POSTGRES_SINK_MISSING_COLUMNS',
  /** A column the sink would write has a type it cannot write (an array type: use jsonb). */
  unsupportedColumn: 'INLET_POSTGRES_SINK_UNSUPPORTED_COLUMN',
  /** Two event definitions map one column to different types, or a property to a column the sink keeps for itself. */
  columnConflict: 'INLET_POSTGRES_SINK_COLUMN_CONFLICT',
  /** The database refused one row for good (a constraint, a value it cannot take): it is dead-lettered. */
  rowRefused: 'INLET_POSTGRES_SINK_ROW_REFUSED',
} as const;

export type PostgresSinkErrorCode = (typeof PostgresSinkErrorCode)[keyof typeof PostgresSinkErrorCode];
