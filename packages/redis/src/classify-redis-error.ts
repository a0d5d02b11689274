import { InletError } from '@inlet/core';
import {
  InletStoreError,
  type StoreErrorClass,
  socketErrorCode,
  storeErrorClasses,
} from '@inlet/store-errors';

const { unavailable, failed } = storeErrorClasses;

// Reply errors by their first word: the server is loading, busy, failing over or out of memory,
// and will take the command again later. The rest (WRONGTYPE, NOAUTH, NOPERM, ERR...) will not.
const retryableReplyPrefixes = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOREPLICAS',
  'MISCONF',
  'OOM',
]);

// ioredis's errors for a command that never got an answer, by error name...
const retryableErrorNames = new Set([
  'MaxRetriesPerRequestError',
  'AbortError',
  'InterruptError',
  'ClusterAllFailedError',
]);

// ...and, for those thrown as plain Errors, by message.
const retryableDriverMessages = [
  /^Connection is closed\.$/,
  /^Stream isn't writeable/,
  /^Command timed out$/,
  /^Socket timeout/,
  /^None of startup nodes is available$/,
  /^Cluster is disconnected\.$/,
  /^Cluster isn't ready/,
  /^Node is disconnected$/,
  /^Too many Cluster redirections/,
];

interface RedisErrorClass extends StoreErrorClass {
  readonly driverCode: string | undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nameOf(error: unknown): string | undefined {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function redisErrorClass(error: unknown): RedisErrorClass {
  const name = nameOf(error);
  const message = messageOf(error);
  if (name === 'ReplyError') {
    const prefix = /^[A-Z]+/.exec(message)?.[0];
    const retryable =
      (prefix !== undefined && retryableReplyPrefixes.has(prefix)) ||
      message.startsWith('ERR max number of clients reached');
    return { ...(retryable ? unavailable : failed), driverCode: prefix };
  }
  if (name !== undefined && retryableErrorNames.has(name)) return { ...unavailable, driverCode: name };
  const socketCode = socketErrorCode(error);
  if (socketCode !== undefined) return { ...unavailable, driverCode: socketCode };
  if (retryableDriverMessages.some((pattern) => pattern.test(message))) {
    return { ...unavailable, driverCode: undefined };
  }
  return { ...failed, driverCode: name === 'Error' ? undefined : name };
}

/**
 * Turns anything an ioredis call threw (or a pipeline reported) into an Inlet error: a lost or
 * refused connection, timeouts, a full client table and a server that is loading, busy, failing
 * over or out of memory are INLET_STORE_UNAVAILABLE (retryable); the rest is INLET_STORE_FAILED.
 * Inlet errors pass through unchanged.
 */
export function classifyRedisError(error: unknown, operation: string): InletError {
  if (InletError.is(error)) return error;
  const { code, retryable, driverCode } = redisErrorClass(error);
  return new InletStoreError(code, `Redis ${operation} failed: ${messageOf(error)}`, 'redis', driverCode, {
    cause: error,
    retryable,
  });
}
