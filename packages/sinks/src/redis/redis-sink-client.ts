/**
 * The few ioredis methods the Redis sink calls, so that it takes the user's own ioredis `Redis`
 * (or anything shaped like it) without depending on ioredis's types.
 */
export interface RedisSinkClient {
  pipeline(): RedisSinkPipeline;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
}

/** An ioredis pipeline: scripts queued, then sent together by `exec()`. */
export interface RedisSinkPipeline {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): RedisSinkPipeline;
  exec(): Promise<RedisSinkPipelineReplies>;
}

/** One `[error, result]` per queued command (null only for a transaction a WATCH aborted). */
export type RedisSinkPipelineReplies = [error: Error | null, result: unknown][] | null;
