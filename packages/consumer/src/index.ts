export {
  createConsumer,
  type InletConsumer,
  UnrecoverableEventError,
} from './consumer';
export {
  type CommitMessage,
  type ConsumerStats,
  consumerChannels,
  type DeadLetteredMessage,
  type EventOutcomeMessage,
} from './consumer-diagnostics';
export type {
  BatchHandlerContext,
  ConsumerOptions,
  ConsumerRetryOptions,
  DeadLetterOptions,
  DedupOptions,
  HandlerContext,
  VersionGateOptions,
} from './consumer-options';
export { type DeadLetterDetails, DeadLetterHeader, deadLetterRecord } from './dead-letter';
export { type DeadLetter, type RedriveOptions, type RedriveResult, redriveDeadLetters } from './redrive';
export {
  type ReplayOptions,
  type ReplayPartitionPlan,
  type ReplayPlan,
  type ReplayStart,
  replayGroup,
} from './replay';
export {
  createMemoryDedupStore,
  createMemoryVersionStore,
  type MemoryDedupStoreOptions,
} from './stores/memory-stores';
export type { DedupStore, TransactionalDedup, VersionStore } from './stores/stores';
