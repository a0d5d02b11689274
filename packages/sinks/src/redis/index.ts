export { createRedisSink, type RedisSink } from './redis-sink';
export type { RedisSinkClient, RedisSinkPipeline, RedisSinkPipelineReplies } from './redis-sink-client';
export { RedisSinkErrorCode } from './redis-sink-error-code';
export type { RedisSinkDeletes, RedisSinkFormat, RedisSinkOptions } from './redis-sink-options';
