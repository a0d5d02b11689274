import {
  InletError,
  InletErrorCode,
  type InletEvent,
  type InletLogger,
  type KafkaConnectionOptions,
  type KafkaTransport,
  type SchemaResolver,
  silentLogger,
  type TopicDefinition,
  type TopicEvent,
} from '@inlet/core';
import type { DedupStore, TransactionalDedup, VersionStore } from './stores/stores';

/** What a handler gets besides the event. */
export interface HandlerContext<TTransaction = never> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** 1 for the first try, 2 for the first retry... */
  readonly attempt: number;
  /** Fires when the work should stop: the consumer is closing or the partition moved away. */
  readonly signal: AbortSignal;
  /** In transactional dedup mode: the transaction the dedup mark commits with. */
  readonly transaction: TTransaction;
}

export interface BatchHandlerContext<TTransaction = never>
  extends Omit<HandlerContext<TTransaction>, 'offset'> {
  /** Offsets of the events, in order. */
  readonly offsets: readonly string[];
}

export interface DedupOptions {
  /** Where handled keys are remembered. Default: in this process (`createMemoryDedupStore`). */
  readonly store?: DedupStore;
  /** How long a handled event's key is remembered. Default 24 hours. */
  readonly windowMs?: number;
  /** The dedup key of an event. Default: its id. */
  readonly key?: (event: InletEvent) => string;
}

export interface VersionGateOptions {
  /** Where the last entity version per entity is remembered. */
  readonly store: VersionStore;
}

export interface ConsumerRetryOptions {
  /** Retries after the first attempt, before dead-lettering. Default 5. */
  readonly retries?: number;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Whether a handler error may succeed on retry. Default: InletErrors by their flag, others yes. */
  readonly isRetryable?: (error: unknown) => boolean;
}

export interface DeadLetterOptions {
  /** The dead-letter topic for a source topic. Default `<topic>.dlq`. */
  readonly topic?: (sourceTopic: string) => string;
  /**
   * Replace values with copies whose contract-tagged fields are redacted (default true when the
   * event's definition has a contract). Redacted copies cannot be redriven as they were.
   */
  readonly redact?: boolean;
}

export interface ConsumerOptions<TTopics extends readonly TopicDefinition[], TTransaction = never> {
  readonly transport?: KafkaTransport;
  readonly brokers?: readonly string[];
  readonly connection?: Omit<KafkaConnectionOptions, 'brokers'>;
  readonly groupId: string;
  readonly topics: TTopics;
  /** Handles one event; events of one key run one at a time, in offset order. */
  readonly handle?: (
    event: TopicEvent<TTopics[number]>,
    context: HandlerContext<TTransaction>,
  ) => Promise<void>;
  /** Or handles a partition's events a batch at a time (for sinks that write in bulk). */
  readonly handleBatch?: (
    events: readonly TopicEvent<TTopics[number]>[],
    context: BatchHandlerContext<TTransaction>,
  ) => Promise<void>;
  readonly registry?: SchemaResolver;
  /** Deduplication; `false` turns it off. Default: on, in memory, by event id, 24 h window. */
  readonly dedup?: DedupOptions | false;
  /** The effect and the dedup mark in one database transaction (replaces `dedup.store`). */
  readonly transactionalDedup?: TransactionalDedup<TTransaction>;
  /** Skip events whose entity version is not newer than the last handled one. Off by default. */
  readonly versionGate?: VersionGateOptions;
  /** How many keys are handled at once. Default 64. */
  readonly maxConcurrency?: number;
  readonly retry?: ConsumerRetryOptions;
  /** `false`: a record that cannot be handled stops its key until it can (not recommended). */
  readonly deadLetter?: DeadLetterOptions | false;
  /** Fetched but unfinished events/bytes above which fetching pauses. Default 10 000 / 64 MiB. */
  readonly maxInFlightEvents?: number;
  readonly maxInFlightBytes?: number;
  /**
   * Most bytes fetched per partition at once (default 1 MiB). What is in flight stays below the
   * limits above plus one such batch per partition being consumed.
   */
  readonly maxBytesPerPartition?: number;
  /** How often progress is committed. Default 1 000 ms. */
  readonly commitIntervalMs?: number;
  /** How long revoked partitions' and closing work may take before its signal fires. Default 15 000 ms. */
  readonly drainTimeoutMs?: number;
  readonly autoOffsetReset?: 'earliest' | 'latest';
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly logger?: InletLogger;
}

export interface ResolvedConsumerOptions {
  readonly groupId: string;
  readonly dedupWindowMs: number;
  readonly dedupKey: (event: InletEvent) => string;
  readonly maxConcurrency: number;
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly isRetryable: (error: unknown) => boolean;
  readonly deadLetterTopic: ((sourceTopic: string) => string) | undefined;
  readonly redactDeadLetters: boolean | undefined;
  readonly maxInFlightEvents: number;
  readonly maxInFlightBytes: number;
  readonly commitIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly logger: InletLogger;
}

function invalid(path: string, message: string): InletError {
  return new InletError(InletErrorCode.invalidOption, `consumer option ${path}: ${message}`);
}

function positive(value: number | undefined, fallback: number, path: string, allowZero = false): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < (allowZero ? 0 : 1)) {
    throw invalid(
      path,
      `must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`,
    );
  }
  return resolved;
}

function defaultIsRetryable(error: unknown): boolean {
  return InletError.is(error) ? error.retryable : true;
}

export function resolveConsumerOptions<TTopics extends readonly TopicDefinition[], TTransaction>(
  options: ConsumerOptions<TTopics, TTransaction>,
): ResolvedConsumerOptions {
  if (typeof options.groupId !== 'string' || options.groupId.length === 0)
    throw invalid('groupId', 'is required');
  if (!Array.isArray(options.topics) || options.topics.length === 0)
    throw invalid('topics', 'give at least one topic');
  for (const topic of options.topics as readonly unknown[]) {
    if (typeof (topic as TopicDefinition | undefined)?.find !== 'function') {
      throw invalid('topics', 'each topic must be made with defineTopic()');
    }
  }
  if ((options.handle === undefined) === (options.handleBatch === undefined)) {
    throw invalid('handle', 'give exactly one of handle and handleBatch');
  }
  if (options.transport === undefined && (options.brokers === undefined || options.brokers.length === 0)) {
    throw invalid('transport', 'give a transport or a non-empty brokers list');
  }
  if (options.transport !== undefined && options.brokers !== undefined) {
    throw invalid('brokers', 'give a transport or brokers, not both');
  }
  if (
    options.transactionalDedup !== undefined &&
    options.dedup !== undefined &&
    options.dedup !== false &&
    options.dedup.store !== undefined
  ) {
    throw invalid('dedup.store', 'transactionalDedup replaces the dedup store; give one or the other');
  }
  const dedup = options.dedup === false ? undefined : options.dedup;
  const deadLetter = options.deadLetter === false ? undefined : (options.deadLetter ?? {});
  const minDelayMs = positive(options.retry?.minDelayMs, 200, 'retry.minDelayMs', true);
  const maxDelayMs = positive(options.retry?.maxDelayMs, 10_000, 'retry.maxDelayMs', true);
  return {
    groupId: options.groupId,
    dedupWindowMs: positive(dedup?.windowMs, 24 * 3_600_000, 'dedup.windowMs'),
    dedupKey: dedup?.key ?? ((event: InletEvent) => event.id),
    maxConcurrency: positive(options.maxConcurrency, 64, 'maxConcurrency'),
    retries: positive(options.retry?.retries, 5, 'retry.retries', true),
    minDelayMs,
    maxDelayMs: Math.max(minDelayMs, maxDelayMs),
    isRetryable: options.retry?.isRetryable ?? defaultIsRetryable,
    deadLetterTopic:
      deadLetter === undefined ? undefined : (deadLetter.topic ?? ((topic: string) => `${topic}.dlq`)),
    redactDeadLetters: deadLetter?.redact,
    maxInFlightEvents: positive(options.maxInFlightEvents, 10_000, 'maxInFlightEvents'),
    maxInFlightBytes: positive(options.maxInFlightBytes, 64 * 1024 * 1024, 'maxInFlightBytes'),
    commitIntervalMs: positive(options.commitIntervalMs, 1_000, 'commitIntervalMs'),
    drainTimeoutMs: positive(options.drainTimeoutMs, 15_000, 'drainTimeoutMs'),
    logger: options.logger ?? silentLogger,
  };
}

/** Every definition of the given topics, for decoding. */
export function topicsByName(topics: readonly TopicDefinition[]): Map<string, TopicDefinition> {
  const byName = new Map<string, TopicDefinition>();
  for (const topic of topics) {
    if (byName.has(topic.name)) throw invalid('topics', `topic "${topic.name}" is listed twice`);
    byName.set(topic.name, topic);
  }
  return byName;
}
