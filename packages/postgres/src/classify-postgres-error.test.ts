import { InletError, InletErrorCode } from '@inlet/core';
import { InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyPostgresError } from './classify-postgres-error';

// The error node-postgres builds from a server ErrorResponse: a DatabaseError with the SQLSTATE in
// `code` and the severity beside it.
function serverError(sqlState: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = sqlState;
  error.severity = 'ERROR';
  return error;
}

// What Node's net module rejects a connect or a write with.
function socketError(code: string, message = `connect ${code} 127.0.0.1:5432`): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

const { storeUnavailable, storeConflict, storeFailed } = StoreErrorCode;

interface Row {
  readonly what: string;
  readonly error: unknown;
  readonly code: StoreErrorCode;
  readonly retryable: boolean;
  readonly driverCode: string | undefined;
}

const rows: Row[] = [
  // class 08: connection exceptions
  {
    what: 'connection_failure',
    error: serverError('08006', 'connection failure'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '08006',
  },
  {
    what: 'connection_does_not_exist',
    error: serverError('08003', 'no connection'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '08003',
  },
  // insufficient resources, shutdowns, timeouts
  {
    what: 'too_many_connections',
    error: serverError('53300', 'sorry, too many clients already'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '53300',
  },
  {
    what: 'out_of_memory',
    error: serverError('53200', 'out of memory'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '53200',
  },
  {
    what: 'disk_full',
    error: serverError('53100', 'could not extend file'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '53100',
  },
  {
    what: 'configuration_limit_exceeded',
    error: serverError('53400', 'too many columns'),
    code: storeFailed,
    retryable: false,
    driverCode: '53400',
  },
  {
    what: 'query_canceled (statement_timeout)',
    error: serverError('57014', 'canceling statement due to statement timeout'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '57014',
  },
  {
    what: 'admin_shutdown',
    error: serverError('57P01', 'terminating connection due to administrator command'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '57P01',
  },
  {
    what: 'crash_shutdown',
    error: serverError('57P02', 'terminating connection because of crash'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '57P02',
  },
  {
    what: 'cannot_connect_now',
    error: serverError('57P03', 'the database system is starting up'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '57P03',
  },
  {
    what: 'idle_session_timeout',
    error: serverError('57P05', 'terminating connection due to idle-session timeout'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '57P05',
  },
  {
    what: 'database_dropped',
    error: serverError('57P04', 'database dropped'),
    code: storeFailed,
    retryable: false,
    driverCode: '57P04',
  },
  {
    what: 'read_only_sql_transaction (a standby)',
    error: serverError('25006', 'cannot execute INSERT in a read-only transaction'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '25006',
  },
  {
    what: 'statement_completion_unknown',
    error: serverError('40003', 'statement completion unknown'),
    code: storeUnavailable,
    retryable: true,
    driverCode: '40003',
  },
  // lost races
  {
    what: 'serialization_failure',
    error: serverError('40001', 'could not serialize access due to concurrent update'),
    code: storeConflict,
    retryable: true,
    driverCode: '40001',
  },
  {
    what: 'deadlock_detected',
    error: serverError('40P01', 'deadlock detected'),
    code: storeConflict,
    retryable: true,
    driverCode: '40P01',
  },
  {
    what: 'lock_not_available',
    error: serverError('55P03', 'canceling statement due to lock timeout'),
    code: storeConflict,
    retryable: true,
    driverCode: '55P03',
  },
  // what trying again will not fix
  {
    what: 'syntax_error',
    error: serverError('42601', 'syntax error at or near "selec"'),
    code: storeFailed,
    retryable: false,
    driverCode: '42601',
  },
  {
    what: 'insufficient_privilege',
    error: serverError('42501', 'permission denied for schema inlet'),
    code: storeFailed,
    retryable: false,
    driverCode: '42501',
  },
  {
    what: 'undefined_table',
    error: serverError('42P01', 'relation "inlet_dedup" does not exist'),
    code: storeFailed,
    retryable: false,
    driverCode: '42P01',
  },
  {
    what: 'undefined_column',
    error: serverError('42703', 'column "expires_at" does not exist'),
    code: storeFailed,
    retryable: false,
    driverCode: '42703',
  },
  {
    what: 'invalid_schema_name',
    error: serverError('3F000', 'schema "nope" does not exist'),
    code: storeFailed,
    retryable: false,
    driverCode: '3F000',
  },
  {
    what: 'invalid_password',
    error: serverError('28P01', 'password authentication failed for user "inlet"'),
    code: storeFailed,
    retryable: false,
    driverCode: '28P01',
  },
  {
    what: 'invalid_catalog_name',
    error: serverError('3D000', 'database "nope" does not exist'),
    code: storeFailed,
    retryable: false,
    driverCode: '3D000',
  },
  {
    what: 'numeric_value_out_of_range',
    error: serverError('22003', 'bigint out of range'),
    code: storeFailed,
    retryable: false,
    driverCode: '22003',
  },
  {
    what: 'character_not_in_repertoire (NUL)',
    error: serverError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
    code: storeFailed,
    retryable: false,
    driverCode: '22021',
  },
  {
    what: 'in_failed_sql_transaction',
    error: serverError('25P02', 'current transaction is aborted'),
    code: storeFailed,
    retryable: false,
    driverCode: '25P02',
  },
  {
    what: 'internal_error',
    error: serverError('XX000', 'internal error'),
    code: storeFailed,
    retryable: false,
    driverCode: 'XX000',
  },
  // the socket, from Node
  {
    what: 'ECONNREFUSED',
    error: socketError('ECONNREFUSED'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ECONNREFUSED',
  },
  {
    what: 'ECONNRESET',
    error: socketError('ECONNRESET', 'read ECONNRESET'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ECONNRESET',
  },
  {
    what: 'ETIMEDOUT',
    error: socketError('ETIMEDOUT'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ETIMEDOUT',
  },
  {
    what: 'EPIPE (five letters, not a SQLSTATE)',
    error: socketError('EPIPE', 'write EPIPE'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'EPIPE',
  },
  {
    what: 'EAI_AGAIN',
    error: socketError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'EAI_AGAIN',
  },
  {
    what: 'AggregateError of ECONNREFUSED (localhost on IPv4 and IPv6)',
    error: new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ECONNREFUSED',
  },
  {
    what: 'a TLS failure',
    error: socketError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
    code: storeFailed,
    retryable: false,
    driverCode: undefined,
  },
  // node-postgres and pg-pool's own errors
  {
    what: 'Connection terminated unexpectedly',
    error: new Error('Connection terminated unexpectedly'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'Connection terminated due to connection timeout',
    error: new Error('Connection terminated due to connection timeout'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'pool connect timeout',
    error: new Error('timeout exceeded when trying to connect'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'query_timeout',
    error: new Error('Query read timeout'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'client connect timeout',
    error: new Error('timeout expired'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'a client whose connection failed',
    error: new Error('Client has encountered a connection error and is not queryable'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'a pool the caller ended',
    error: new Error('Cannot use a pool after calling end on the pool'),
    code: storeFailed,
    retryable: false,
    driverCode: undefined,
  },
  {
    what: 'a client the caller closed',
    error: new Error('Client was closed and is not queryable'),
    code: storeFailed,
    retryable: false,
    driverCode: undefined,
  },
  {
    what: 'something thrown that is not an Error',
    error: 'boom',
    code: storeFailed,
    retryable: false,
    driverCode: undefined,
  },
];

describe('classifyPostgresError', () => {
  it.each(rows)('$what → $code, retryable $retryable', ({ error, code, retryable, driverCode }) => {
    const classified = classifyPostgresError(error, 'dedup mark');
    expect(classified).toBeInstanceOf(InletStoreError);
    expect(classified.code).toBe(code);
    expect(classified.retryable).toBe(retryable);
    expect(classified.cause).toBe(error);
    expect((classified as InletStoreError).backend).toBe('postgres');
    expect((classified as InletStoreError).driverCode).toBe(driverCode);
  });

  it('says what failed, and the SQLSTATE when there is one', () => {
    expect(classifyPostgresError(serverError('40P01', 'deadlock detected'), 'version record').message).toBe(
      'PostgreSQL version record failed: deadlock detected (SQLSTATE 40P01)',
    );
    expect(classifyPostgresError(socketError('ECONNREFUSED'), 'dedup seen').message).toBe(
      'PostgreSQL dedup seen failed: connect ECONNREFUSED 127.0.0.1:5432',
    );
  });

  it('passes Inlet errors through', () => {
    const closed = new InletError(InletErrorCode.closed, 'closed');
    expect(classifyPostgresError(closed, 'dedup seen')).toBe(closed);
  });
});
