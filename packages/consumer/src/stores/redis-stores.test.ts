import { InletError, InletErrorCode } from '@inlet/core';
import type { RedisPipelineReplies, RedisStoreClient, RedisStorePipeline } from '@inlet/redis';
import { StoreErrorCode } from '@inlet/store-errors';
import { ReplyError } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { createRedisDedupStore } from './redis-dedup-store';
import { createRedisVersionStore } from './redis-version-store';

const reply = (message: string): Error => new (ReplyError as new (message: string) => Error)(message);

/** A stand-in for ioredis that records the commands and answers as told. */
function fakeRedis(
  answers: { exec?: () => Promise<RedisPipelineReplies>; evalsha?: () => Promise<unknown> } = {},
) {
  const sets: [string, string, string, number][] = [];
  const client = {
    mget: vi.fn(async (keys: string[]): Promise<(string | null)[]> => keys.map(() => null)),
    pipeline: vi.fn((): RedisStorePipeline => {
      const queued: [string, string, string, number][] = [];
      const pipeline: RedisStorePipeline = {
        set(key, value, expiry, ttlMs) {
          queued.push([key, value, expiry, ttlMs]);
          return pipeline;
        },
        async exec() {
          sets.push(...queued);
          return answers.exec ? answers.exec() : queued.map(() => [null, 'OK']);
        },
      };
      return pipeline;
    }),
    evalsha: vi.fn(answers.evalsha ?? (async () => 1)),
    eval: vi.fn(async () => 1),
    quit: vi.fn(async () => 'OK'),
    disconnect: vi.fn(),
  } satisfies RedisStoreClient & Record<string, unknown>;
  return { client, sets };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function thrownBy(create: () => unknown): unknown {
  try {
    create();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('createRedisDedupStore', () => {
  it('rejects a client without the methods it calls, naming the option', () => {
    const error = thrownBy(() => createRedisDedupStore({ redis: { mget: async () => [] } as never }));
    expect(InletError.hasCode(error, InletErrorCode.invalidOption)).toBe(true);
    expect((error as Error).message).toMatch(
      /^redis must be a client with mget\(\), pipeline\(\); missing pipeline/,
    );
    expect(
      InletError.hasCode(
        thrownBy(() => createRedisDedupStore({ redis: undefined as never })),
        InletErrorCode.invalidOption,
      ),
    ).toBe(true);
  });

  it('prefixes keys, sets them with PX, and asks at most 1000 keys per MGET', async () => {
    const { client, sets } = fakeRedis();
    await using store = createRedisDedupStore({ redis: client });
    await store.mark(['a', 'b'], 1_500.4);
    expect(sets).toEqual([
      ['inlet:dedup:a', '1', 'PX', 1_500],
      ['inlet:dedup:b', '1', 'PX', 1_500],
    ]);
    const keys = Array.from({ length: 2_500 }, (_, index) => `key-${index}`);
    expect(await store.seen(keys)).toEqual(keys.map(() => false));
    expect(client.mget.mock.calls.map(([asked]) => asked.length)).toEqual([1_000, 1_000, 500]);
    expect(client.mget.mock.calls[0]?.[0][0]).toBe('inlet:dedup:key-0');
  });

  it('rejects a ttl that is not a positive number of milliseconds', async () => {
    const { client } = fakeRedis();
    await using store = createRedisDedupStore({ redis: client, prefix: 'p:' });
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(
        InletError.hasCode(await rejectionOf(store.mark(['a'], ttl)), InletErrorCode.invalidOption),
      ).toBe(true);
    }
    await store.mark(['a'], 0.2);
  });

  it("classifies a failed command inside the pipeline's replies", async () => {
    const { client } = fakeRedis({
      exec: async () => [
        [null, 'OK'],
        [reply('OOM command not allowed'), null],
      ],
    });
    await using store = createRedisDedupStore({ redis: client });
    const error = await rejectionOf(store.mark(['a', 'b'], 1_000));
    expect(InletError.hasCode(error, StoreErrorCode.storeUnavailable)).toBe(true);
    expect((error as InletError).retryable).toBe(true);
  });

  it('neither quits nor disconnects the client when closed, and fails calls after close', async () => {
    const { client } = fakeRedis();
    const store = createRedisDedupStore({ redis: client });
    await store.close();
    await store[Symbol.asyncDispose]();
    expect(client.quit).not.toHaveBeenCalled();
    expect(client.disconnect).not.toHaveBeenCalled();
    expect(InletError.hasCode(await rejectionOf(store.seen(['a'])), InletErrorCode.closed)).toBe(true);
  });
});

describe('createRedisVersionStore', () => {
  it('records with one EVALSHA: the keys, then the versions', async () => {
    const { client } = fakeRedis();
    await using store = createRedisVersionStore({ redis: client, prefix: 'v:' });
    await store.record([
      { key: 'a', version: 3 },
      { key: 'b', version: 9 },
    ]);
    expect(client.evalsha).toHaveBeenCalledTimes(1);
    expect(client.evalsha.mock.calls[0]?.slice(1)).toEqual([2, 'v:a', 'v:b', '3', '9']);
    expect(client.eval).not.toHaveBeenCalled();
  });

  it('loads the script with EVAL when the server answers NOSCRIPT', async () => {
    const { client } = fakeRedis({
      evalsha: async () => {
        throw reply('NOSCRIPT No matching script. Please use EVAL.');
      },
    });
    await using store = createRedisVersionStore({ redis: client });
    await store.record([{ key: 'a', version: 1 }]);
    expect(client.eval).toHaveBeenCalledTimes(1);
    expect(client.eval.mock.calls[0]?.slice(1)).toEqual([1, 'inlet:version:a', '1']);
  });

  it('rejects versions that are not safe integers', async () => {
    const { client } = fakeRedis();
    await using store = createRedisVersionStore({ redis: client });
    for (const version of [1.5, Number.NaN, 2 ** 53]) {
      const error = await rejectionOf(store.record([{ key: 'a', version }]));
      expect(InletError.hasCode(error, InletErrorCode.validationFailed)).toBe(true);
    }
    expect(client.evalsha).not.toHaveBeenCalled();
  });

  it('fails on a stored value that is not an integer', async () => {
    const { client } = fakeRedis();
    client.mget.mockResolvedValueOnce(['12', 'oops']);
    await using store = createRedisVersionStore({ redis: client });
    const error = await rejectionOf(store.latest(['a', 'b']));
    expect(InletError.hasCode(error, StoreErrorCode.storeFailed)).toBe(true);
  });
});
