import { createHash } from 'node:crypto';
import { ResourceLifecycle } from '@inlet/core';
import { classifyRedisError, type RedisStoreClient } from '@inlet/redis';
import { InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import { chunks } from './chunks';
import { checkEntityVersions, keyPrefix, requireMethods } from './store-arguments';
import type { VersionStore } from './stores';

export interface RedisVersionStoreOptions {
  /**
   * An ioredis client (`new Redis(url)`), or anything with its `mget`, `evalsha` and `eval`. The
   * store does not own it: `close()` leaves it connected, and quitting it is the caller's job.
   */
  readonly redis: Pick<RedisStoreClient, 'mget' | 'evalsha' | 'eval'>;
  /**
   * Put before every key. Default `inlet:version:`. On Redis Cluster, give a hash tag
   * (`{inlet}:version:`) so one call's keys share a slot, as MGET and scripts there require.
   */
  readonly prefix?: string;
}

// KEYS[i] is an entity's version key, ARGV[i] the version to record for it. Redis runs a script
// alone, so the read and the write of each key cannot interleave with another member's.
const recordMaxScript = `
for i = 1, #KEYS do
  local current = redis.call('GET', KEYS[i])
  if not current or tonumber(current) < tonumber(ARGV[i]) then
    redis.call('SET', KEYS[i], ARGV[i])
  end
end
return #KEYS
`;
const recordMaxSha = createHash('sha1').update(recordMaxScript).digest('hex');

const entriesPerCommand = 500;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Entity versions in Redis, one plain key per entity holding the highest version recorded.
 * `record` is one Lua script call per 500 entries (EVALSHA, loading the script on first use), so
 * members racing on one entity still keep the highest version. Versions do not expire.
 */
export function createRedisVersionStore(options: RedisVersionStoreOptions): VersionStore & AsyncDisposable {
  requireMethods(options.redis, 'redis', ['mget', 'evalsha', 'eval']);
  const { redis } = options;
  const prefix = keyPrefix(options.prefix, 'prefix', 'inlet:version:');
  const lifecycle = new ResourceLifecycle('Redis version store');

  function parseVersion(reply: string | null): number | undefined {
    if (reply === null) return undefined;
    const version = Number(reply);
    if (!Number.isSafeInteger(version)) {
      throw new InletStoreError(
        StoreErrorCode.storeFailed,
        `Redis version latest failed: a version key holds ${JSON.stringify(reply.slice(0, 40))}, not an integer`,
        'redis',
        undefined,
      );
    }
    return version;
  }

  async function latest(keys: readonly string[]): Promise<(number | undefined)[]> {
    if (keys.length === 0) return [];
    let replies: (string | null)[][];
    try {
      replies = await Promise.all(
        chunks(keys, entriesPerCommand * 2).map((run) => redis.mget(run.map((key) => prefix + key))),
      );
    } catch (error) {
      throw classifyRedisError(error, 'version latest');
    }
    return replies.flat().map(parseVersion);
  }

  async function recordRun(
    run: readonly { readonly key: string; readonly version: number }[],
  ): Promise<void> {
    const args = [...run.map(({ key }) => prefix + key), ...run.map(({ version }) => String(version))];
    try {
      await redis.evalsha(recordMaxSha, run.length, ...args);
    } catch (error) {
      // The server has not seen the script yet (or restarted, or flushed its script cache).
      if (!isNoScript(error)) throw error;
      await redis.eval(recordMaxScript, run.length, ...args);
    }
  }

  async function record(
    entries: readonly { readonly key: string; readonly version: number }[],
  ): Promise<void> {
    checkEntityVersions(entries);
    if (entries.length === 0) return;
    try {
      await Promise.all(chunks(entries, entriesPerCommand).map(recordRun));
    } catch (error) {
      throw classifyRedisError(error, 'version record');
    }
  }

  const close = () => lifecycle.close();
  return {
    latest: (keys) => lifecycle.run(() => latest(keys)),
    record: (entries) => lifecycle.run(() => record(entries)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
