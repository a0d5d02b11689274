import { ResourceLifecycle } from '@inlet/core';
import { classifyRedisError, type RedisPipelineReplies, type RedisStoreClient } from '@inlet/redis';
import { chunks } from './chunks';
import { keyPrefix, requireMethods, ttlMillis } from './store-arguments';
import type { DedupStore } from './stores';

export interface RedisDedupStoreOptions {
  /**
   * An ioredis client (`new Redis(url)`), or anything with its `mget` and `pipeline`. The store
   * does not own it: `close()` leaves it connected, and quitting it is the caller's job.
   */
  readonly redis: Pick<RedisStoreClient, 'mget' | 'pipeline'>;
  /**
   * Put before every key. Default `inlet:dedup:`. On Redis Cluster, give a hash tag
   * (`{inlet}:dedup:`) so one call's keys share a slot, as MGET and pipelines there require.
   */
  readonly prefix?: string;
}

const keysPerCommand = 1_000;

/**
 * A dedup store in Redis: a mark is a key that expires (`SET key 1 PX ttl`), so Redis forgets
 * marks by itself; `seen` is one MGET per thousand keys, `mark` one pipeline. Marks survive a
 * consumer restart and are shared by every member of the group.
 */
export function createRedisDedupStore(options: RedisDedupStoreOptions): DedupStore & AsyncDisposable {
  requireMethods(options.redis, 'redis', ['mget', 'pipeline']);
  const { redis } = options;
  const prefix = keyPrefix(options.prefix, 'prefix', 'inlet:dedup:');
  const lifecycle = new ResourceLifecycle('Redis dedup store');

  async function seen(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    try {
      const replies = await Promise.all(
        chunks(keys, keysPerCommand).map((run) => redis.mget(run.map((key) => prefix + key))),
      );
      return replies.flat().map((reply) => reply !== null);
    } catch (error) {
      throw classifyRedisError(error, 'dedup seen');
    }
  }

  async function mark(keys: readonly string[], ttlMs: number): Promise<void> {
    const ttl = ttlMillis(ttlMs);
    if (keys.length === 0) return;
    let replies: RedisPipelineReplies;
    try {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.set(prefix + key, '1', 'PX', ttl);
      replies = await pipeline.exec();
    } catch (error) {
      throw classifyRedisError(error, 'dedup mark');
    }
    if (replies === null) throw classifyRedisError(new Error('the pipeline was discarded'), 'dedup mark');
    const failure = replies.find(([error]) => error !== null)?.[0];
    if (failure) throw classifyRedisError(failure, 'dedup mark');
  }

  const close = () => lifecycle.close();
  return {
    seen: (keys) => lifecycle.run(() => seen(keys)),
    mark: (keys, ttlMs) => lifecycle.run(() => mark(keys, ttlMs)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
