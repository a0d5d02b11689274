import { InletError } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDedupStore } from './redis-dedup-store';
import { createRedisVersionStore } from './redis-version-store';
import { describeDedupStoreContract, describeVersionStoreContract } from './store-contract.test-support';

const environment = testEnvironment();
// Every key this file writes starts with this, so the end of the run can delete them all.
const runPrefix = `${uniqueName('inlet-stores-test')}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(environment.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
});

afterAll(async () => {
  await deleteKeys(`${runPrefix}*`);
  const left = await redis.keys(`${runPrefix}*`);
  redis.disconnect();
  expect(left).toEqual([]);
});

async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const cleanup = (backing: string) => deleteKeys(`${runPrefix}${backing}:*`);

describeDedupStoreContract(
  'Redis',
  (backing) => createRedisDedupStore({ redis, prefix: `${runPrefix}${backing}:dedup:` }),
  { cleanup },
);
describeVersionStoreContract(
  'Redis',
  (backing) => createRedisVersionStore({ redis, prefix: `${runPrefix}${backing}:version:` }),
  { cleanup },
);

describe('Redis stores', () => {
  it('write plain keys: an expiring mark per key and an integer per entity', async () => {
    const prefix = `${runPrefix}layout:`;
    await using dedup = createRedisDedupStore({ redis, prefix: `${prefix}dedup:` });
    await using versions = createRedisVersionStore({ redis, prefix: `${prefix}version:` });
    await dedup.mark(['event-1'], 30_000);
    await versions.record([{ key: 'order-1', version: 42 }]);
    const ttl = await redis.pttl(`${prefix}dedup:event-1`);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await redis.get(`${prefix}version:order-1`)).toBe('42');
    expect(await redis.pttl(`${prefix}version:order-1`)).toBe(-1);
  });

  it('meets a server that does not know a script with the NOSCRIPT reply the store falls back on', async () => {
    // The store's fallback to EVAL is unit-tested; this pins the real server's reply to it, without
    // SCRIPT FLUSH, which would pull scripts from under other suites sharing this server.
    const error = await redis.evalsha('0'.repeat(40), 0).catch((thrown: unknown) => thrown);
    expect((error as Error).message).toMatch(/^NOSCRIPT /);
    expect((error as Error).name).toBe('ReplyError');
  });

  it('leaves the client connected when closed', async () => {
    const store = createRedisDedupStore({ redis, prefix: `${runPrefix}owner:` });
    await store.close();
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
  });

  it('classifies a reply error: a version key holding another type is INLET_STORE_FAILED', async () => {
    const prefix = `${runPrefix}wrongtype:`;
    await redis.hset(`${prefix}entity`, 'field', 'value');
    await using versions = createRedisVersionStore({ redis, prefix });
    const error = await versions.record([{ key: 'entity', version: 1 }]).catch((thrown: unknown) => thrown);
    expect(InletError.hasCode(error, StoreErrorCode.storeFailed)).toBe(true);
    expect((error as InletError).retryable).toBe(false);
    expect((error as InletError).cause).toBeInstanceOf(Error);
  });

  it('classifies a refused connection as INLET_STORE_UNAVAILABLE, retryable', async () => {
    // Port 1 on the loopback interface: nothing listens there.
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: true,
    });
    unreachable.on('error', () => {});
    await using dedup = createRedisDedupStore({ redis: unreachable, prefix: `${runPrefix}down:` });
    try {
      const error = await dedup.seen(['event']).catch((thrown: unknown) => thrown);
      expect(InletError.hasCode(error, StoreErrorCode.storeUnavailable)).toBe(true);
      expect((error as InletError).retryable).toBe(true);
    } finally {
      unreachable.disconnect();
    }
  });
});
