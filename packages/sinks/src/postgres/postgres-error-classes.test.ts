import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import {
  InletPostgresSinkError,
  isRowRefusal,
  rowRefusedError,
  sqlStateOf,
  writeFailedError,
} from './postgres-error-classes';

const pgError = (code: string, message = `failed with ${code}`) =>
  Object.assign(new Error(message), { code });

describe('the classification of PostgreSQL errors', () => {
  it('retries connection loss, serialization failures, deadlocks, shutdowns and too many connections', () => {
    for (const code of ['40001', '40P01', '57P01', '53300', '08006', '08003', '08000']) {
      const error = writeFailedError(pgError(code), 'write');
      expect({ code, retryable: error.retryable }).toEqual({ code, retryable: true });
      expect(isRowRefusal(pgError(code))).toBe(false);
    }
    for (const socket of ['ECONNREFUSED', 'ECONNRESET']) {
      expect(writeFailedError(pgError(socket), 'write').retryable).toBe(true);
    }
    expect(writeFailedError(new Error('Connection terminated unexpectedly'), 'write').retryable).toBe(true);
  });

  it('fails a whole write for good on what retrying cannot fix', () => {
    for (const code of ['42P01', '42703', '42601', '42501']) {
      const error = writeFailedError(pgError(code), 'write');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(code);
    }
  });

  it('refuses rows for constraint violations (23) and data exceptions (22), alone', () => {
    for (const code of ['23505', '23502', '23503', '23514', '22001', '22003', '22P02', '22007']) {
      expect(isRowRefusal(pgError(code))).toBe(true);
    }
    expect(isRowRefusal(new Error('no code'))).toBe(false);
    expect(isRowRefusal(pgError('ECONNRESET'))).toBe(false);
  });

  it("says why a row was refused in the database's words, with its SQLSTATE", () => {
    const cause = Object.assign(pgError('23514', 'new row for relation "t" violates check constraint "v"'), {
      detail: 'Failing row contains (x).',
    });
    const error = rowRefusedError(cause, '"t"');
    expect(error).toBeInstanceOf(InletPostgresSinkError);
    expect(InletError.hasCode(error, 'INLET_POSTGRES_SINK_ROW_REFUSED')).toBe(true);
    expect(error.retryable).toBe(false);
    expect(error.sqlState).toBe('23514');
    expect(error.message).toContain('violates check constraint "v"');
    expect(error.message).toContain('Failing row contains (x).');
    expect(error.message).toContain('SQLSTATE 23514');
    expect(error.cause).toBe(cause);
  });

  it('reads SQLSTATEs only', () => {
    expect(sqlStateOf(pgError('23505'))).toBe('23505');
    expect(sqlStateOf(pgError('EPIPE'))).toBeUndefined();
    expect(sqlStateOf('23505')).toBeUndefined();
  });
});
