import { InletError, type InletErrorOptions } from '@inlet/core';
import { classifyPostgresError } from '@inlet/postgres';
import { PostgresSinkErrorCode } from './postgres-sink-error-code';

/** An error of the PostgreSQL sink, with the SQLSTATE of the database error behind it, if any. */
export class InletPostgresSinkError extends InletError {
  override readonly name: string = 'InletPostgresSinkError';
  /** The database's SQLSTATE (`23514`), when the database said. */
  readonly sqlState: string | undefined;

  constructor(
    code: PostgresSinkErrorCode,
    message: string,
    sqlState: string | undefined,
    options: InletErrorOptions = {},
  ) {
    super(code, message, options);
    this.sqlState = sqlState;
  }
}

/** The SQLSTATE of a node-postgres error, or undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code) ? code : undefined;
}

/**
 * Whether the database refused a row for what is in it: an integrity constraint (class 23: not
 * null, unique, foreign key, check) or a value it cannot take (class 22: too long, out of range,
 * malformed). Such a row fails again however often it is written, so it is dead-lettered alone.
 */
export function isRowRefusal(error: unknown): boolean {
  const sqlState = sqlStateOf(error);
  return sqlState !== undefined && (sqlState.startsWith('22') || sqlState.startsWith('23'));
}

/** The rejection of one row, in the database's words and with its SQLSTATE. */
export function rowRefusedError(error: unknown, table: string): InletPostgresSinkError {
  const sqlState = sqlStateOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const detail = (error as { detail?: unknown } | null)?.detail;
  return new InletPostgresSinkError(
    PostgresSinkErrorCode.rowRefused,
    `PostgreSQL refused the row for ${table}: ${message}${typeof detail === 'string' ? ` (${detail})` : ''} (SQLSTATE ${sqlState})`,
    sqlState,
    { cause: error },
  );
}

/**
 * A failure of a whole write, as an Inlet error: connection loss, serialization failures (40001),
 * deadlocks (40P01), shutdowns (57P01), too many connections (53300) and connection exceptions
 * (08…) are retryable; anything else (a missing table, a syntax error) is not.
 */
export function writeFailedError(error: unknown, operation: string): InletError {
  return classifyPostgresError(error, operation);
}
