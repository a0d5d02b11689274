import { InletError } from '@inlet/core';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

/** What a DuckDB error means for a write: one row refused, try the write again, or give up. */
export type DuckDbFailureKind = 'row' | 'retryable' | 'fatal';

// DuckDB names the kind of error first ("Constraint Error: …"); the appender says "Failed to append: …".
const rowPatterns = [
  /^Constraint Error/,
  /^Conversion Error/,
  /^Invalid Input Error: (?:Malformed JSON|Could not convert)/,
  /^Out of Range Error/,
  /Failed to append: .*constraint/i,
  /^Could not convert/,
  /^Malformed JSON/,
  // A value the appender could not cast to its column's type.
  /type mismatch in AppendDataChunk/,
];
const retryablePatterns = [
  /^IO Error/,
  /Could not set lock on file/,
  /Conflicting lock is held/,
  /^TransactionContext Error: (?:Catalog write-write conflict|Conflict on)/,
  /write-write conflict/,
  /^Out of Memory Error/,
  /^INTERRUPT Error/,
];

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Classifies a DuckDB error by the kind its message names. */
export function duckDbFailureKind(error: unknown): DuckDbFailureKind {
  if (InletError.is(error)) {
    if (error.code === DuckDbSinkErrorCode.rowRejected) return 'row';
    return error.retryable ? 'retryable' : 'fatal';
  }
  const message = messageOf(error);
  if (rowPatterns.some((pattern) => pattern.test(message))) return 'row';
  if (retryablePatterns.some((pattern) => pattern.test(message))) return 'retryable';
  return 'fatal';
}

/** A DuckDB error as an Inlet error with the sink's code, DuckDB's message and the error as cause. */
export function toDuckDbSinkError(error: unknown, doing: string): InletError {
  if (InletError.is(error)) return error;
  const message = messageOf(error);
  switch (duckDbFailureKind(error)) {
    case 'row':
      return new InletError(DuckDbSinkErrorCode.rowRejected, `DuckDB refused the row: ${message}`, {
        cause: error,
      });
    case 'retryable':
      return new InletError(DuckDbSinkErrorCode.unavailable, `DuckDB ${doing} failed: ${message}`, {
        cause: error,
        retryable: true,
      });
    default:
      return new InletError(DuckDbSinkErrorCode.failed, `DuckDB ${doing} failed: ${message}`, {
        cause: error,
      });
  }
}
