import { InletError } from '@inlet/core';
import {
  InletStoreError,
  type StoreErrorClass,
  socketErrorCode,
  storeErrorClasses,
} from '@inlet/store-errors';

const { unavailable, conflict, failed } = storeErrorClasses;

// SQLSTATEs whose class alone would say too little, or the wrong thing.
const bySqlState: Readonly<Record<string, StoreErrorClass>> = {
  '40001': conflict, // serialization_failure
  '40P01': conflict, // deadlock_detected
  '55P03': conflict, // lock_not_available (lock_timeout)
  '40003': unavailable, // statement_completion_unknown: the connection went away mid-statement
  '53000': unavailable, // insufficient_resources
  '53100': unavailable, // disk_full
  '53200': unavailable, // out_of_memory
  '53300': unavailable, // too_many_connections
  '57014': unavailable, // query_canceled (statement_timeout, or cancelled by an operator)
  '57P01': unavailable, // admin_shutdown
  '57P02': unavailable, // crash_shutdown
  '57P03': unavailable, // cannot_connect_now (starting up, or in recovery)
  '57P05': unavailable, // idle_session_timeout
  // A pool that reaches a standby just after a failover: the next connection may reach the primary.
  '25006': unavailable, // read_only_sql_transaction
};

const bySqlStateClass: Readonly<Record<string, StoreErrorClass>> = {
  '08': unavailable, // connection exception
};

// node-postgres's own errors carry no code; these are its messages for a lost or missing connection.
const retryableDriverMessages = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /^timeout expired$/,
  /^Client has encountered a connection error/,
];

function sqlStateOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // Every SQLSTATE has a digit; 5-letter socket codes such as EPIPE do not.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code) ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface PostgresErrorClass extends StoreErrorClass {
  readonly driverCode: string | undefined;
}

/** How a node-postgres error is classified, and the driver's code for it. */
function postgresErrorClass(error: unknown): PostgresErrorClass {
  const sqlState = sqlStateOf(error);
  if (sqlState !== undefined) {
    const known = bySqlState[sqlState] ?? bySqlStateClass[sqlState.slice(0, 2)] ?? failed;
    return { ...known, driverCode: sqlState };
  }
  const socketCode = socketErrorCode(error);
  if (socketCode !== undefined) return { ...unavailable, driverCode: socketCode };
  const message = messageOf(error);
  if (retryableDriverMessages.some((pattern) => pattern.test(message))) {
    return { ...unavailable, driverCode: undefined };
  }
  return { ...failed, driverCode: undefined };
}

/**
 * Turns anything a node-postgres call threw into an Inlet error: connection loss, timeouts, too
 * many clients and shutdowns are INLET_STORE_UNAVAILABLE, serialization failures, deadlocks and
 * lock timeouts INLET_STORE_CONFLICT (both retryable); the rest is INLET_STORE_FAILED. Inlet
 * errors pass through unchanged.
 */
export function classifyPostgresError(error: unknown, operation: string): InletError {
  if (InletError.is(error)) return error;
  const { code, retryable, driverCode } = postgresErrorClass(error);
  const detail =
    sqlStateOf(error) === undefined ? messageOf(error) : `${messageOf(error)} (SQLSTATE ${driverCode})`;
  return new InletStoreError(code, `PostgreSQL ${operation} failed: ${detail}`, 'postgres', driverCode, {
    cause: error,
    retryable,
  });
}
