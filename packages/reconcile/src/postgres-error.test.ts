import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { classifyPostgresError } from './postgres-error';
import { ReconcileErrorCode } from './reconcile-error-code';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('classifyPostgresError', () => {
  it('maps a dropped table and a dropped column to the package codes, keeping the cause', () => {
    const table = classifyPostgresError(pgError('42P01', 'relation "t" does not exist'), 'postgres:t');
    expect(table).toMatchObject({ code: ReconcileErrorCode.missingTable, retryable: false });
    expect((table as Error).message).toBe('postgres:t: relation "t" does not exist');
    expect((table as Error).cause).toMatchObject({ code: '42P01' });
    expect(classifyPostgresError(pgError('42703', 'column "x" does not exist'), 'postgres:t')).toMatchObject({
      code: ReconcileErrorCode.missingColumn,
    });
  });

  it('passes everything else through', () => {
    const lost = pgError('57P01', 'terminating connection');
    expect(classifyPostgresError(lost, 'postgres:t')).toBe(lost);
    expect(InletError.is(classifyPostgresError(new Error('boom'), 'postgres:t'))).toBe(false);
  });
});
