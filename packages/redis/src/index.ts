export { classifyRedisError } from './classify-redis-error';
export type { RedisPipelineReplies, RedisStoreClient, RedisStorePipeline } from './redis-store-client';
