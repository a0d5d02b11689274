/**
 * The few ioredis methods the consumer's Redis stores call, so that they take the user's own
 * ioredis `Redis` (or anything shaped like it) without any Inlet package depending on ioredis or
 * its types.
 */
export interface RedisStoreClient {
  mget(keys: string[]): Promise<(string | null)[]>;
  pipeline(): RedisStorePipeline;
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** An ioredis pipeline: commands queued, then sent together by `exec()`. */
export interface RedisStorePipeline {
  set(key: string, value: string, expiry: 'PX', ttlMs: number): RedisStorePipeline;
  exec(): Promise<RedisPipelineReplies>;
}

/** One `[error, result]` per queued command (null only for a transaction a WATCH aborted). */
export type RedisPipelineReplies = [error: Error | null, result: unknown][] | null;
