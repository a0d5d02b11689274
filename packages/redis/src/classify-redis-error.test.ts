import { createRequire } from 'node:module';
import { InletError, InletErrorCode } from '@inlet/core';
import { InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { classifyRedisError } from './classify-redis-error';

// The error classes ioredis rejects with: its own, and those of redis-errors, which it depends on.
const requireFromIoredis = createRequire(createRequire(import.meta.url).resolve('ioredis'));
const { MaxRetriesPerRequestError } = requireFromIoredis('./errors') as {
  MaxRetriesPerRequestError: new (maxRetriesPerRequest: number) => Error;
};
const { AbortError, InterruptError, ParserError } = requireFromIoredis('redis-errors') as {
  AbortError: new (message: string) => Error;
  InterruptError: new (message: string) => Error;
  ParserError: new (message: string, buffer: string, offset: number) => Error;
};
const ClusterAllFailed = requireFromIoredis('./errors/ClusterAllFailedError').default as new (
  message: string,
  lastNodeError: Error,
) => Error;

const reply = (message: string): Error => new (ReplyError as new (message: string) => Error)(message);
const socketError = (code: string, message = `connect ${code} 127.0.0.1:6379`): Error =>
  Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });

const { storeUnavailable, storeFailed } = StoreErrorCode;

interface Row {
  readonly what: string;
  readonly error: unknown;
  readonly code: StoreErrorCode;
  readonly retryable: boolean;
  readonly driverCode: string | undefined;
}

const rows: Row[] = [
  // the server will take the command again later
  {
    what: 'LOADING',
    error: reply('LOADING Redis is loading the dataset in memory'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'LOADING',
  },
  {
    what: 'BUSY',
    error: reply('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'BUSY',
  },
  {
    what: 'MASTERDOWN',
    error: reply('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'MASTERDOWN',
  },
  {
    what: 'READONLY (a replica after failover)',
    error: reply("READONLY You can't write against a read only replica."),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'READONLY',
  },
  {
    what: 'TRYAGAIN',
    error: reply('TRYAGAIN Multiple keys request during rehashing of slot'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'TRYAGAIN',
  },
  {
    what: 'CLUSTERDOWN',
    error: reply('CLUSTERDOWN The cluster is down'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'CLUSTERDOWN',
  },
  {
    what: 'NOREPLICAS',
    error: reply('NOREPLICAS Not enough good replicas to write.'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'NOREPLICAS',
  },
  {
    what: 'MISCONF',
    error: reply(
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
    ),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'MISCONF',
  },
  {
    what: 'OOM',
    error: reply("OOM command not allowed when used memory > 'maxmemory'."),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'OOM',
  },
  {
    what: 'max number of clients',
    error: reply('ERR max number of clients reached'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ERR',
  },
  // it will not
  {
    what: 'WRONGTYPE',
    error: reply('WRONGTYPE Operation against a key holding the wrong kind of value'),
    code: storeFailed,
    retryable: false,
    driverCode: 'WRONGTYPE',
  },
  {
    what: 'NOAUTH',
    error: reply('NOAUTH Authentication required.'),
    code: storeFailed,
    retryable: false,
    driverCode: 'NOAUTH',
  },
  {
    what: 'WRONGPASS',
    error: reply('WRONGPASS invalid username-password pair or user is disabled.'),
    code: storeFailed,
    retryable: false,
    driverCode: 'WRONGPASS',
  },
  {
    what: 'NOPERM',
    error: reply("NOPERM this user has no permissions to run the 'evalsha' command"),
    code: storeFailed,
    retryable: false,
    driverCode: 'NOPERM',
  },
  {
    what: 'NOSCRIPT (when it leaks)',
    error: reply('NOSCRIPT No matching script. Please use EVAL.'),
    code: storeFailed,
    retryable: false,
    driverCode: 'NOSCRIPT',
  },
  {
    what: 'a script error',
    error: reply('ERR user_script:4: attempt to compare nil with number script: abc'),
    code: storeFailed,
    retryable: false,
    driverCode: 'ERR',
  },
  {
    what: 'MOVED (a cluster reached with a plain client)',
    error: reply('MOVED 3999 127.0.0.1:6381'),
    code: storeFailed,
    retryable: false,
    driverCode: 'MOVED',
  },
  // the connection, as ioredis reports it
  {
    what: 'MaxRetriesPerRequestError',
    error: new MaxRetriesPerRequestError(20),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'MaxRetriesPerRequestError',
  },
  {
    what: 'AbortError',
    error: new AbortError('Command aborted due to connection close'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'AbortError',
  },
  {
    what: 'InterruptError',
    error: new InterruptError('Connection interrupted'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'InterruptError',
  },
  {
    what: 'ClusterAllFailedError',
    error: new ClusterAllFailed('Failed to refresh slots cache.', new Error('x')),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ClusterAllFailedError',
  },
  {
    what: 'Connection is closed.',
    error: new Error('Connection is closed.'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'offline queue disabled',
    error: new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'commandTimeout',
    error: new Error('Command timed out'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'socketTimeout',
    error: new Error("Socket timeout. Expecting data, but didn't receive any in 1000ms."),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'a cluster without reachable nodes',
    error: new Error('None of startup nodes is available'),
    code: storeUnavailable,
    retryable: true,
    driverCode: undefined,
  },
  {
    what: 'connectTimeout',
    error: Object.assign(new Error('connect ETIMEDOUT'), {
      code: 'ETIMEDOUT',
      errorno: 'ETIMEDOUT',
      syscall: 'connect',
    }),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'ETIMEDOUT',
  },
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
    what: 'EPIPE',
    error: socketError('EPIPE', 'write EPIPE'),
    code: storeUnavailable,
    retryable: true,
    driverCode: 'EPIPE',
  },
  {
    what: 'a protocol parse failure',
    error: new ParserError('Protocol error, got "H" as reply type byte', 'HTTP/1.1', 0),
    code: storeFailed,
    retryable: false,
    driverCode: 'ParserError',
  },
  {
    what: 'keys of one pipeline in different cluster slots',
    error: new Error('All the keys in a pipeline command should belong to the same slot'),
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

describe('classifyRedisError', () => {
  it.each(rows)('$what → $code, retryable $retryable', ({ error, code, retryable, driverCode }) => {
    const classified = classifyRedisError(error, 'dedup mark');
    expect(classified).toBeInstanceOf(InletStoreError);
    expect(classified.code).toBe(code);
    expect(classified.retryable).toBe(retryable);
    expect(classified.cause).toBe(error);
    expect((classified as InletStoreError).backend).toBe('redis');
    expect((classified as InletStoreError).driverCode).toBe(driverCode);
  });

  it('says what failed', () => {
    expect(classifyRedisError(reply('OOM out of memory'), 'version record').message).toBe(
      'Redis version record failed: OOM out of memory',
    );
  });

  it('passes Inlet errors through', () => {
    const closed = new InletError(InletErrorCode.closed, 'closed');
    expect(classifyRedisError(closed, 'dedup seen')).toBe(closed);
  });
});
