export {
  type CaughtUpOptions,
  createConsumer,
  type InletConsumer,
  UnrecoverableEventError,
} from './consumer';
export {
  type CommitMessage,
  type ConsumerFailedMessage,
  type ConsumerState,
  type ConsumerStats,
  consumerChannels,
  type DeadLetteredMessage,
  type EventOutcomeMessage,
  type RebalanceMessage,
  type RetryMessage,
  type StallMessage,
} from './consumer-diagnostics';
export { ConsumerErrorCode } from './consumer-error-code';
export type {
  BatchHandlerContext,
  ConsumedEvent,
  ConsumerOptions,
  ConsumerRetryOptions,
  DeadLetterOptions,
  DedupOptions,
  HandlerContext,
  ServiceRetryOptions,
  VersionGateOptions,
} from './consumer-options';
export { type DeadLetterDetails, DeadLetterHeader, deadLetterRecord, maskCredentials } from './dead-letter';
export type { DecodedEvent, DecodedTombstone, DecoderContext, EventDecoder } from './event-decoding';
export { type DeadLetter, type RedriveOptions, type RedriveResult, redriveDeadLetters } from './redrive';
export {
  type ReplayOptions,
  type ReplayPartitionPlan,
  type ReplayPlan,
  type ReplayStart,
  replayGroup,
} from './replay';
export { ConsumerFailedError, type ConsumerService } from './retries';
export {
  createMemoryDedupStore,
  createMemoryVersionStore,
  type MemoryDedupStoreOptions,
} from './stores/memory-stores';
export { createPostgresDedupStore, type PostgresDedupStoreOptions } from './stores/postgres-dedup-store';
export {
  createPostgresTransactionalDedup,
  type PostgresTransactionalDedupOptions,
} from './stores/postgres-transactional-dedup';
export {
  createPostgresVersionStore,
  type PostgresVersionStoreOptions,
} from './stores/postgres-version-store';
export { createRedisDedupStore, type RedisDedupStoreOptions } from './stores/redis-dedup-store';
export { createRedisVersionStore, type RedisVersionStoreOptions } from './stores/redis-version-store';
export type { DedupStore, TransactionalDedup, VersionStore } from './stores/stores';
export { isTombstone, type Tombstone, type TombstoneMode } from './tombstone';
