// classifyRedisError on what a real Redis server and ioredis answer, not only on errors made by
// hand: each failure is provoked for real (none that blocks the shared server) and classified.
import { InletError } from '@inlet/core';
import { type InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRedisError } from './classify-redis-error';

const environment = testEnvironment();
const prefix = `${uniqueName('inlet-classify-test')}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(environment.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** What `work` throws, classified; fails the test when it throws nothing. */
async function classified(work: () => Promise<unknown>): Promise<InletStoreError> {
  try {
    await work();
  } catch (error) {
    return classifyRedisError(error, 'test') as InletStoreError;
  }
  throw new Error('expected the work to fail');
}

describe('classifyRedisError against a real server', () => {
  it('classifies a command on a key of another type (WRONGTYPE) as INLET_STORE_FAILED', async () => {
    await redis.hset(`${prefix}hash`, 'field', 'value');
    const error = await classified(() => redis.get(`${prefix}hash`));
    expect(error).toMatchObject({ code: StoreErrorCode.storeFailed, retryable: false, backend: 'redis' });
    expect(error.driverCode).toBe('WRONGTYPE');
    expect(error.message).toMatch(/^Redis test failed: WRONGTYPE/);
    expect(InletError.is(error)).toBe(true);
  });

  it('classifies an unknown script (NOSCRIPT) and an unknown command (ERR) as INLET_STORE_FAILED', async () => {
    const noScript = await classified(() => redis.evalsha('0'.repeat(40), 0));
    expect(noScript).toMatchObject({ code: StoreErrorCode.storeFailed, driverCode: 'NOSCRIPT' });
    const unknown = await classified(() => redis.call('NOSUCHCOMMAND'));
    expect(unknown).toMatchObject({ code: StoreErrorCode.storeFailed, driverCode: 'ERR' });
  });

  it('classifies a refused connection as INLET_STORE_UNAVAILABLE, retryable', async () => {
    // Port 1 on the loopback interface: nothing listens there.
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    try {
      const error = await classified(() => unreachable.connect());
      expect(error).toMatchObject({ code: StoreErrorCode.storeUnavailable, retryable: true });
    } finally {
      unreachable.disconnect();
    }
  });

  it('classifies a command timeout and a closed connection as INLET_STORE_UNAVAILABLE, retryable', async () => {
    const slow = new Redis(environment.redisUrl, { lazyConnect: true, commandTimeout: 50 });
    try {
      await slow.connect();
      // BLPOP on a key nobody writes blocks this connection only, past the command timeout.
      const timedOut = await classified(() => slow.blpop(`${prefix}never`, 5));
      expect(timedOut).toMatchObject({ code: StoreErrorCode.storeUnavailable, retryable: true });
    } finally {
      slow.disconnect();
    }
    const closed = new Redis(environment.redisUrl, { lazyConnect: true, enableOfflineQueue: false });
    await closed.connect();
    closed.disconnect();
    const error = await classified(() => closed.get(`${prefix}any`));
    expect(error).toMatchObject({ code: StoreErrorCode.storeUnavailable, retryable: true });
  });
});
