import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { duckDbFailureKind, toDuckDbSinkError } from './duckdb-errors';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

describe('DuckDB error classification', () => {
  it.each([
    ['Constraint Error: NOT NULL constraint failed: orders.total', 'row'],
    ['Constraint Error: CHECK constraint failed on table orders', 'row'],
    ["Conversion Error: Could not convert string 'abc' to INT64", 'row'],
    ["Failed to append: CHECK constraint failed on table t with expression CHECK((value != 'x'))", 'row'],
    ["Could not convert string 'notanumber' to INT64", 'row'],
    ["Out of Range Error: Type INT32 with value 9999999999 can't be cast", 'row'],
    [
      'IO Error: Could not set lock on file "/tmp/x.duckdb": Conflicting lock is held in node (PID 12)',
      'retryable',
    ],
    ['IO Error: Could not write file "/tmp/x.duckdb.wal": No space left on device', 'retryable'],
    ['TransactionContext Error: Catalog write-write conflict on create with "orders"', 'retryable'],
    ['Out of Memory Error: could not allocate block of size 256.0 KiB', 'retryable'],
    ['Catalog Error: Table with name orders does not exist!', 'fatal'],
    ['Binder Error: Referenced column "totl" not found', 'fatal'],
    ['Parser Error: syntax error at or near "FORM"', 'fatal'],
  ] as const)('%s → %s', (message, kind) => {
    expect(duckDbFailureKind(new Error(message))).toBe(kind);
  });

  it("gives each kind its code and retryable flag, keeping the cause and DuckDB's message", () => {
    const refused = new Error('Constraint Error: NOT NULL constraint failed: orders.total');
    const row = toDuckDbSinkError(refused, 'writing');
    expect(row).toMatchObject({ code: DuckDbSinkErrorCode.rowRejected, retryable: false, cause: refused });
    expect(row.message).toContain('NOT NULL constraint failed: orders.total');
    expect(toDuckDbSinkError(new Error('IO Error: disk'), 'writing')).toMatchObject({
      code: DuckDbSinkErrorCode.unavailable,
      retryable: true,
    });
    expect(toDuckDbSinkError(new Error('Catalog Error: no table'), 'writing')).toMatchObject({
      code: DuckDbSinkErrorCode.failed,
      retryable: false,
    });
    const inlet = new InletError('INLET_CLOSED', 'closed');
    expect(toDuckDbSinkError(inlet, 'writing')).toBe(inlet);
  });

  it('keeps its public codes', () => {
    expect(DuckDbSinkErrorCode).toEqual({
      rowRejected: 'INLET_DUCKDB_ROW_REJECTED',
      unavailable: 'INLET_DUCKDB_UNAVAILABLE',
      failed: 'INLET_DUCKDB_FAILED',
      tableMismatch: 'INLET_DUCKDB_TABLE_MISMATCH',
      columnConflict: 'INLET_DUCKDB_COLUMN_CONFLICT',
    });
  });
});
