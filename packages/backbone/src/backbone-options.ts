import { type InletLogger, silentLogger } from '@inlet/core';
import {
  checkIntegerInRange,
  checkNonEmptyString,
  checkOneOf,
  checkPositiveInteger,
  invalidOption,
} from './option-checks';

/** Options of {@link createInMemoryBackbone}; each mirrors the broker setting named beside it. */
export interface InMemoryBackboneOptions {
  /** Partitions of a topic created on first use (`num.partitions`). Default 1. */
  readonly defaultPartitions?: number;
  /**
   * Create unknown topics (with `defaultPartitions`) when a producer sends to them, a consumer
   * subscribes to them or a producer asks for their partitions, like `auto.create.topics.enable`.
   * Default false, as with the kafkajs transport: those calls fail with `INLET_KAFKA_UNKNOWN_TOPIC`,
   * not retryable, naming the topic; create topics with `ensureTopics`. The kafkajs transport
   * takes the same option.
   */
  readonly autoCreateTopics?: boolean;
  /**
   * Largest record accepted, counting key, value and headers (`max.message.bytes`, which Kafka counts
   * per batch). Default 1 MiB. A topic's `max.message.bytes` config overrides it.
   */
  readonly maxRecordBytes?: number;
  /**
   * How far a record timestamp may be ahead of the broker clock (`log.message.timestamp.after.max.ms`,
   * one hour in Kafka 4). Default 3 600 000. A topic's `message.timestamp.after.max.ms` overrides it.
   */
  readonly maxTimestampAheadMs?: number;
  /** Smallest `sessionTimeoutMs` a consumer may ask for (`group.min.session.timeout.ms`). Default 6 000. */
  readonly minSessionTimeoutMs?: number;
  /** Largest `sessionTimeoutMs` a consumer may ask for (`group.max.session.timeout.ms`). Default 1 800 000. */
  readonly maxSessionTimeoutMs?: number;
  /** Largest `transactionTimeoutMs` a producer may ask for (`transaction.max.timeout.ms`). Default 900 000. */
  readonly maxTransactionTimeoutMs?: number;
  /** The client id group members report in `describeGroup`. Default `inlet`. */
  readonly clientId?: string;
  /** Where errors go that have no other place to be reported (a throwing `onError`). Default silent. */
  readonly logger?: InletLogger;
}

export interface ResolvedBackboneOptions {
  readonly defaultPartitions: number;
  readonly autoCreateTopics: boolean;
  readonly maxRecordBytes: number;
  readonly maxTimestampAheadMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly maxTransactionTimeoutMs: number;
  readonly clientId: string;
  readonly logger: InletLogger;
}

export const backboneDefaults: ResolvedBackboneOptions = Object.freeze({
  defaultPartitions: 1,
  autoCreateTopics: false,
  maxRecordBytes: 1_048_576,
  maxTimestampAheadMs: 3_600_000,
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  maxTransactionTimeoutMs: 900_000,
  clientId: 'inlet',
  logger: silentLogger,
});

export function resolveBackboneOptions(options: InMemoryBackboneOptions = {}): ResolvedBackboneOptions {
  const resolved: ResolvedBackboneOptions = {
    defaultPartitions: checkPositiveInteger(
      options.defaultPartitions ?? backboneDefaults.defaultPartitions,
      'defaultPartitions',
    ),
    autoCreateTopics: checkOneOf(
      options.autoCreateTopics ?? backboneDefaults.autoCreateTopics,
      [true, false],
      'autoCreateTopics',
    ),
    maxRecordBytes: checkPositiveInteger(
      options.maxRecordBytes ?? backboneDefaults.maxRecordBytes,
      'maxRecordBytes',
    ),
    maxTimestampAheadMs: checkIntegerInRange(
      options.maxTimestampAheadMs ?? backboneDefaults.maxTimestampAheadMs,
      'maxTimestampAheadMs',
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    minSessionTimeoutMs: checkPositiveInteger(
      options.minSessionTimeoutMs ?? backboneDefaults.minSessionTimeoutMs,
      'minSessionTimeoutMs',
    ),
    maxSessionTimeoutMs: checkPositiveInteger(
      options.maxSessionTimeoutMs ?? backboneDefaults.maxSessionTimeoutMs,
      'maxSessionTimeoutMs',
    ),
    maxTransactionTimeoutMs: checkPositiveInteger(
      options.maxTransactionTimeoutMs ?? backboneDefaults.maxTransactionTimeoutMs,
      'maxTransactionTimeoutMs',
    ),
    clientId: checkNonEmptyString(options.clientId ?? backboneDefaults.clientId, 'clientId'),
    logger: options.logger ?? backboneDefaults.logger,
  };
  if (resolved.minSessionTimeoutMs > resolved.maxSessionTimeoutMs) {
    throw invalidOption('minSessionTimeoutMs', 'must not exceed maxSessionTimeoutMs');
  }
  return resolved;
}
