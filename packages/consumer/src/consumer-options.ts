import {
  type AssignedPartition,
  type BackoffBounds,
  checkOptions,
  InletError,
  type InletEvent,
  type InletLogger,
  type KafkaTransport,
  type OptionShape,
  option,
  required,
  type SchemaResolver,
  silentLogger,
  type TopicDefinition,
  type TopicEvent,
  type TopicPartition,
  type TopicPartitionOffset,
  type ValidationIssue,
} from '@inlet/core';
import type { KafkaConnectionOptions } from '@inlet/kafkajs';
import type { EventDecoder } from './event-decoding';
import type { DedupStore, TransactionalDedup, VersionStore } from './stores/stores';
import type { Tombstone, TombstoneMode } from './tombstone';

/** What a handler gets besides the event. */
export interface HandlerContext<TTransaction = never> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The Kafka record timestamp (ms since the epoch): the event time, for records Inlet wrote. */
  readonly timestamp: number;
  /** The partition's high watermark when the record was fetched: one past its last offset. */
  readonly highWatermark: string;
  /** Records after this one in the partition when it was fetched (`highWatermark - offset - 1`). */
  readonly lag: number;
  /** 1 for the first try, 2 for the first retry... */
  readonly attempt: number;
  /** Fires when the work should stop: the consumer is closing or the partition moved away. */
  readonly signal: AbortSignal;
  /** In transactional dedup mode: the transaction the dedup mark commits with. */
  readonly transaction: TTransaction;
  /**
   * Holds the commit of this event's offset (and so of every later one of its partition) until
   * the returned function is called, even after the handler returned: for a sink that buffers
   * rows and acknowledges them once they are durable. Holds left open after a rebalance are
   * void (the events are delivered again); one left open for long shows as a stalled partition.
   */
  holdCommit(): () => void;
  /**
   * Dead-letters this event with `error` as the reason, also after the handler returned (while a
   * commit hold on it is open): for a sink that learns only when it writes that the target refuses
   * a row. The event then counts as dead-lettered instead of handled. Rejects when the letter
   * cannot be written (the consumer then stops, as for any dead letter that cannot be written).
   */
  deadLetter(error: unknown): Promise<void>;
}

export interface BatchHandlerContext<TTransaction = never>
  extends Omit<HandlerContext<TTransaction>, 'offset' | 'timestamp' | 'deadLetter'> {
  /** Dead-letters the event at `index` of the batch, as `HandlerContext.deadLetter` does. */
  deadLetter(index: number, error: unknown): Promise<void>;
  /** Offsets of the events, in order. */
  readonly offsets: readonly string[];
  /** Record timestamps of the events, in order. */
  readonly timestamps: readonly number[];
  /** The key and value bytes of the batch's records: for micro-batching by size downstream. */
  readonly bytes: number;
  /**
   * Where the fetch that delivered the batch ended: one past the last offset it covered. Records
   * after the batch's last event up to it were not handed over (duplicates, dead letters,
   * transaction markers, aborted records); a partition is read to its end once this reaches the
   * high watermark.
   */
  readonly fetchEnd: string;
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
  /** The dead-letter topic: a name, or the name for each source topic. Default `<topic>.dlq`. */
  readonly topic?: string | ((sourceTopic: string) => string);
  /**
   * Replace values with copies whose contract-tagged fields are redacted (default true when the
   * event's definition has a contract). Redacted copies cannot be redriven as they were.
   */
  readonly redact?: boolean;
  /**
   * What the `inlet-dlq-error-message` header says. Default: the error's message with
   * credentials masked (a URL's password, `password=`, `secret=`, `token=` and the like);
   * `false` writes no message (the error code is always written); a function writes what it
   * returns (for error texts that may name customer data).
   */
  readonly errorMessage?: false | ((error: InletError) => string);
  /**
   * The largest dead letter written, counting key, value and headers. A letter that would be
   * larger keeps its headers and a truncated value, with `inlet-dlq-value-truncated` giving the
   * value's original size. Default 1 000 000 (under Kafka's default `max.message.bytes`); a
   * topic whose limit is lower shrinks it further on its own.
   */
  readonly maxRecordBytes?: number;
}

export interface ServiceRetryOptions {
  /** Retries of a failed call to a dedup or version store or to the dead-letter topic. Default 8. */
  readonly retries?: number;
  /** Default 100 ms. */
  readonly minDelayMs?: number;
  /** Default 5 000 ms. */
  readonly maxDelayMs?: number;
}

/** What a handler receives: the topics' events, and tombstones when they are delivered. */
export type ConsumedEvent<
  TTopics extends readonly TopicDefinition[],
  TTombstones extends TombstoneMode = 'dead-letter',
> = TopicEvent<TTopics[number]> | (TTombstones extends 'deliver' ? Tombstone : never);

export interface ConsumerOptions<
  TTopics extends readonly TopicDefinition[],
  TTransaction = never,
  TTombstones extends TombstoneMode = 'dead-letter',
> {
  readonly transport?: KafkaTransport;
  readonly brokers?: readonly string[];
  readonly connection?: Omit<KafkaConnectionOptions, 'brokers'>;
  readonly groupId: string;
  readonly topics: TTopics;
  /** Handles one event; events of one key run one at a time, in offset order. */
  readonly handle?: (
    event: ConsumedEvent<TTopics, TTombstones>,
    context: HandlerContext<TTransaction>,
  ) => Promise<void>;
  /** Or handles a partition's events a batch at a time (for sinks that write in bulk). */
  readonly handleBatch?: (
    events: readonly ConsumedEvent<TTopics, TTombstones>[],
    context: BatchHandlerContext<TTransaction>,
  ) => Promise<void>;
  readonly registry?: SchemaResolver;
  /**
   * What records without a value (tombstones) become: dead letters (`dead-letter`, the default),
   * or deletes the handler receives (`deliver`, as a `Tombstone` beside the events; see
   * `isTombstone`), checked like events: dedup by id, the version gate by `ce_entityversion`.
   */
  readonly tombstones?: TTombstones;
  /**
   * Decodes records that are not Inlet's CloudEvents (Debezium change events, plain JSON) into
   * events of the topics' definitions. Default: CloudEvents, binary or structured mode.
   */
  readonly decoder?: EventDecoder;
  /** Deduplication; `false` turns it off. Default: on, in memory, by event id, 24 h window. */
  readonly dedup?: DedupOptions | false;
  /** The effect and the dedup mark in one database transaction (replaces `dedup.store`). */
  readonly transactionalDedup?: TransactionalDedup<TTransaction>;
  /** Skip events whose entity version is not newer than the last handled one. Off by default. */
  readonly versionGate?: VersionGateOptions;
  /** How many keys are handled at once. Default 64. */
  readonly maxConcurrency?: number;
  readonly retry?: ConsumerRetryOptions;
  /**
   * Retries of the consumer's own calls to its stores and its dead-letter topic. When they run
   * out, the consumer stops (see `stopped()`): nothing is committed past the event concerned.
   */
  readonly serviceRetry?: ServiceRetryOptions;
  /**
   * Where records that cannot be handled go. `false`: an event that fails after its retries
   * stops the consumer instead (nothing is committed past it), as Kafka Connect's
   * `errors.tolerance=none` does.
   */
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
  /**
   * A partition whose committable offset has not moved for this long while it has work pending is
   * reported stalled (logger warning, `inlet:consumer:stall`), and again when it moves. Default 60 000 ms.
   */
  readonly stallThresholdMs?: number;
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /**
   * Called with the partitions of each new assignment before anything is fetched from them (every
   * partition, since after a rebalance each restarts from its committed offset; `isNew` marks those
   * not owned before): resolve with the offsets to start some of them from (a sink's stored
   * offsets, a state checkpoint); the others start from their committed offset. Fetching waits for
   * it. It runs under `serviceRetry`; one that keeps failing stops the consumer, so that nothing is
   * read from the wrong place.
   */
  readonly onPartitionsAssigned?: (
    partitions: readonly AssignedPartition[],
    context: { readonly signal: AbortSignal },
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing starts every partition from its commit
  ) => Promise<readonly TopicPartitionOffset[] | undefined | void>;
  /**
   * Called with the partitions this member is about to give up (a rebalance began, or `close()`),
   * once their running work is done (queued work is dropped: it is delivered again), and before
   * the final commit: flush and checkpoint here. Its signal fires after `drainTimeoutMs`, and the
   * consumer commits and moves on then. On kafkajs a rebalance does not wait for it (see
   * `@inlet/kafkajs`): the commit after it is best effort there.
   */
  readonly onPartitionsRevoked?: (
    partitions: readonly TopicPartition[],
    context: { readonly signal: AbortSignal },
  ) => Promise<void>;
  /** Default 30 000 ms: a member silent for longer leaves the group. */
  readonly sessionTimeoutMs?: number;
  /** Default 3 000 ms, or a third of `sessionTimeoutMs` when that is shorter. */
  readonly heartbeatIntervalMs?: number;
  readonly logger?: InletLogger;
}

export interface ResolvedConsumerOptions {
  readonly groupId: string;
  readonly dedupWindowMs: number;
  readonly dedupKey: (event: InletEvent) => string;
  readonly maxConcurrency: number;
  readonly retries: number;
  readonly retryDelays: BackoffBounds;
  readonly isRetryable: (error: unknown) => boolean;
  readonly serviceRetries: number;
  readonly serviceRetryDelays: BackoffBounds;
  readonly deadLetterTopic: ((sourceTopic: string) => string) | undefined;
  readonly redactDeadLetters: boolean | undefined;
  readonly deadLetterErrorMessage: false | ((error: InletError) => string) | undefined;
  readonly deadLetterMaxRecordBytes: number;
  readonly maxInFlightEvents: number;
  readonly maxInFlightBytes: number;
  readonly commitIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly stallThresholdMs: number;
  readonly sessionTimeoutMs: number | undefined;
  readonly heartbeatIntervalMs: number | undefined;
  readonly logger: InletLogger;
}

export const consumerDefaults = {
  dedupWindowMs: 24 * 3_600_000,
  maxConcurrency: 64,
  retry: { retries: 5, minDelayMs: 200, maxDelayMs: 10_000 },
  serviceRetry: { retries: 8, minDelayMs: 100, maxDelayMs: 5_000 },
  deadLetterMaxRecordBytes: 1_000_000,
  maxInFlightEvents: 10_000,
  maxInFlightBytes: 64 * 1024 * 1024,
  commitIntervalMs: 1_000,
  drainTimeoutMs: 15_000,
  stallThresholdMs: 60_000,
  heartbeatIntervalMs: 3_000,
} as const;

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
const falseOrObject = (value: unknown) => (value === false ? 0 : isObject(value) ? 1 : undefined);

const retryDelays = {
  minDelayMs: option.integer({ min: 0 }),
  maxDelayMs: option.integer({ min: 0 }),
};

const topicDefinition = option.custom(
  'a topic made with defineTopic()',
  (value) => isObject(value) && typeof (value as { find?: unknown }).find === 'function',
);

/** Every option `createConsumer` takes, and what each must be. */
export const consumerOptionShape: OptionShape = {
  transport: option.methods('a KafkaTransport', ['producer', 'consumer', 'admin', 'close']),
  brokers: option.arrayOf(option.nonEmptyString(), { minItems: 1 }),
  connection: option.custom('connection options (an object)', isObject),
  groupId: required(option.nonEmptyString()),
  topics: required(option.arrayOf(topicDefinition, { minItems: 1 })),
  handle: option.function('a function (event, context) => Promise<void>'),
  handleBatch: option.function('a function (events, context) => Promise<void>'),
  registry: option.methods('a SchemaResolver', ['writerCodecFor', 'cachedWriterCodecFor']),
  decoder: option.function('a function (record, context) => { type, data, ... }'),
  tombstones: option.oneOf(['dead-letter', 'deliver']),
  dedup: option.either(
    [
      option.oneOf([false]),
      option.object({
        store: option.methods(
          'a dedup store',
          ['seen', 'mark', 'close'],
          'for Redis or PostgreSQL, wrap the client: createRedisDedupStore({ redis }) or createPostgresDedupStore({ pool })',
        ),
        windowMs: option.integer({ min: 1 }),
        key: option.function('a function (event) => string'),
      }),
    ],
    falseOrObject,
  ),
  transactionalDedup: option.methods('a transactional dedup (createPostgresTransactionalDedup)', [
    'run',
    'runBatch',
    'close',
  ]),
  versionGate: option.object({
    store: required(
      option.methods(
        'a version store',
        ['latest', 'record', 'close'],
        'make one with createMemoryVersionStore, createRedisVersionStore or createPostgresVersionStore',
      ),
    ),
  }),
  maxConcurrency: option.integer({ min: 1 }),
  retry: option.object({
    retries: option.integer({ min: 0 }),
    ...retryDelays,
    isRetryable: option.function('a function (error) => boolean'),
  }),
  serviceRetry: option.object({ retries: option.integer({ min: 0 }), ...retryDelays }),
  deadLetter: option.either(
    [
      option.oneOf([false]),
      option.object({
        topic: option.either(
          [option.nonEmptyString(), option.function('a function (sourceTopic) => string')],
          (value) => (typeof value === 'string' ? 0 : typeof value === 'function' ? 1 : undefined),
        ),
        redact: option.boolean(),
        errorMessage: option.either(
          [option.oneOf([false]), option.function('a function (error) => string')],
          (value) => (value === false ? 0 : typeof value === 'function' ? 1 : undefined),
        ),
        maxRecordBytes: option.integer({ min: 1_024 }),
      }),
    ],
    falseOrObject,
  ),
  maxInFlightEvents: option.integer({ min: 1 }),
  maxInFlightBytes: option.integer({ min: 1 }),
  maxBytesPerPartition: option.integer({ min: 1 }),
  commitIntervalMs: option.integer({ min: 1 }),
  drainTimeoutMs: option.integer({ min: 1 }),
  stallThresholdMs: option.integer({ min: 1 }),
  onPartitionsAssigned: option.function('a function (partitions, { signal }) => Promise<offsets | void>'),
  onPartitionsRevoked: option.function('a function (partitions, { signal }) => Promise<void>'),
  autoOffsetReset: option.oneOf(['earliest', 'latest']),
  sessionTimeoutMs: option.integer({ min: 1 }),
  heartbeatIntervalMs: option.integer({ min: 1 }),
  logger: option.methods('a logger', ['debug', 'info', 'warn', 'error']),
};

function crossChecks(options: Record<string, unknown>, issues: ValidationIssue[]): void {
  const given = options as Partial<ConsumerOptions<readonly TopicDefinition[], unknown>>;
  if ((given.handle === undefined) === (given.handleBatch === undefined)) {
    issues.push({ path: 'handle', message: 'give exactly one of handle and handleBatch' });
  }
  if (given.transport === undefined && given.brokers === undefined) {
    issues.push({ path: 'transport', message: 'give a transport or a brokers list' });
  }
  if (given.transport !== undefined && given.brokers !== undefined) {
    issues.push({ path: 'brokers', message: 'give a transport or brokers, not both' });
  }
  if (given.transport !== undefined && given.connection !== undefined) {
    issues.push({ path: 'connection', message: 'goes with brokers; a transport has its own connection' });
  }
  if (
    given.transactionalDedup !== undefined &&
    given.dedup !== undefined &&
    given.dedup !== false &&
    given.dedup.store !== undefined
  ) {
    issues.push({
      path: 'dedup.store',
      message: 'transactionalDedup replaces the dedup store; give one or the other',
    });
  }
  if (given.transactionalDedup !== undefined && given.dedup === false) {
    issues.push({ path: 'dedup', message: 'cannot be false with transactionalDedup, which is dedup' });
  }
  const names = new Set<string>();
  for (const [index, topic] of (given.topics ?? []).entries()) {
    if (names.has(topic.name))
      issues.push({ path: `topics[${index}]`, message: `topic "${topic.name}" is listed twice` });
    names.add(topic.name);
  }
  const retry = given.retry ?? {};
  if (
    (retry.maxDelayMs ?? consumerDefaults.retry.maxDelayMs) <
    (retry.minDelayMs ?? consumerDefaults.retry.minDelayMs)
  ) {
    issues.push({ path: 'retry.maxDelayMs', message: 'must not be less than retry.minDelayMs' });
  }
  const service = given.serviceRetry ?? {};
  if (
    (service.maxDelayMs ?? consumerDefaults.serviceRetry.maxDelayMs) <
    (service.minDelayMs ?? consumerDefaults.serviceRetry.minDelayMs)
  ) {
    issues.push({
      path: 'serviceRetry.maxDelayMs',
      message: 'must not be less than serviceRetry.minDelayMs',
    });
  }
  if (
    given.sessionTimeoutMs !== undefined &&
    given.heartbeatIntervalMs !== undefined &&
    given.heartbeatIntervalMs >= given.sessionTimeoutMs
  ) {
    issues.push({
      path: 'heartbeatIntervalMs',
      message: `must be less than sessionTimeoutMs (${given.sessionTimeoutMs}), got ${given.heartbeatIntervalMs}`,
    });
  }
  if (
    given.sessionTimeoutMs === undefined &&
    given.heartbeatIntervalMs !== undefined &&
    given.heartbeatIntervalMs >= 30_000
  ) {
    issues.push({
      path: 'heartbeatIntervalMs',
      message: `must be less than sessionTimeoutMs (30000 by default), got ${given.heartbeatIntervalMs}`,
    });
  }
}

function defaultIsRetryable(error: unknown): boolean {
  return InletError.is(error) ? error.retryable : true;
}

/** Checks every option (unknown keys included) and fills in the defaults. */
export function resolveConsumerOptions<
  TTopics extends readonly TopicDefinition[],
  TTransaction,
  TTombstones extends TombstoneMode,
>(options: ConsumerOptions<TTopics, TTransaction, TTombstones>): ResolvedConsumerOptions {
  checkOptions('consumer', options, consumerOptionShape, crossChecks);
  const dedup = options.dedup === false ? undefined : options.dedup;
  const deadLetter = options.deadLetter === false ? undefined : (options.deadLetter ?? {});
  const deadLetterTopic = deadLetter?.topic;
  const defaults = consumerDefaults;
  const heartbeatIntervalMs =
    options.heartbeatIntervalMs ??
    (options.sessionTimeoutMs === undefined
      ? undefined
      : Math.max(1, Math.min(defaults.heartbeatIntervalMs, Math.floor(options.sessionTimeoutMs / 3))));
  return {
    groupId: options.groupId,
    dedupWindowMs: dedup?.windowMs ?? defaults.dedupWindowMs,
    dedupKey: dedup?.key ?? ((event: InletEvent) => event.id),
    maxConcurrency: options.maxConcurrency ?? defaults.maxConcurrency,
    retries: options.retry?.retries ?? defaults.retry.retries,
    retryDelays: {
      minDelayMs: options.retry?.minDelayMs ?? defaults.retry.minDelayMs,
      maxDelayMs: options.retry?.maxDelayMs ?? defaults.retry.maxDelayMs,
    },
    isRetryable: options.retry?.isRetryable ?? defaultIsRetryable,
    serviceRetries: options.serviceRetry?.retries ?? defaults.serviceRetry.retries,
    serviceRetryDelays: {
      minDelayMs: options.serviceRetry?.minDelayMs ?? defaults.serviceRetry.minDelayMs,
      maxDelayMs: options.serviceRetry?.maxDelayMs ?? defaults.serviceRetry.maxDelayMs,
    },
    deadLetterTopic:
      deadLetter === undefined
        ? undefined
        : typeof deadLetterTopic === 'string'
          ? () => deadLetterTopic
          : (deadLetterTopic ?? ((topic: string) => `${topic}.dlq`)),
    redactDeadLetters: deadLetter?.redact,
    deadLetterErrorMessage: deadLetter?.errorMessage,
    deadLetterMaxRecordBytes: deadLetter?.maxRecordBytes ?? defaults.deadLetterMaxRecordBytes,
    maxInFlightEvents: options.maxInFlightEvents ?? defaults.maxInFlightEvents,
    maxInFlightBytes: options.maxInFlightBytes ?? defaults.maxInFlightBytes,
    commitIntervalMs: options.commitIntervalMs ?? defaults.commitIntervalMs,
    drainTimeoutMs: options.drainTimeoutMs ?? defaults.drainTimeoutMs,
    stallThresholdMs: options.stallThresholdMs ?? defaults.stallThresholdMs,
    sessionTimeoutMs: options.sessionTimeoutMs,
    heartbeatIntervalMs,
    logger: options.logger ?? silentLogger,
  };
}

/** Every definition of the given topics, for decoding (the options are checked already). */
export function topicsByName(topics: readonly TopicDefinition[]): Map<string, TopicDefinition> {
  return new Map(topics.map((topic) => [topic.name, topic]));
}
