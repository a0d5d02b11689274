import type { IsolationLevel, TransportConsumerOptions } from '../transport';
import type { ResolvedBackboneOptions } from './backbone-options';
import {
  checkIntegerInRange,
  checkNonEmptyString,
  checkOneOf,
  checkPositiveInteger,
  invalidOption,
} from './option-checks';

export interface ResolvedConsumerOptions {
  readonly groupId: string;
  readonly isolation: IsolationLevel;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeMs: number;
  readonly partitionsConsumedConcurrently: number;
}

export function resolveConsumerOptions(
  options: TransportConsumerOptions,
  broker: ResolvedBackboneOptions,
): ResolvedConsumerOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'expected an object');
  return {
    groupId: checkNonEmptyString(options.groupId, 'groupId'),
    isolation: checkOneOf(
      options.isolation ?? 'read_committed',
      ['read_committed', 'read_uncommitted'] as const,
      'isolation',
    ),
    autoOffsetReset: checkOneOf(
      options.autoOffsetReset ?? 'earliest',
      ['earliest', 'latest'] as const,
      'autoOffsetReset',
    ),
    // The broker refuses session timeouts outside its group.min/max.session.timeout.ms.
    sessionTimeoutMs: checkIntegerInRange(
      options.sessionTimeoutMs ?? 30_000,
      'sessionTimeoutMs',
      broker.minSessionTimeoutMs,
      broker.maxSessionTimeoutMs,
    ),
    heartbeatIntervalMs: checkPositiveInteger(options.heartbeatIntervalMs ?? 3_000, 'heartbeatIntervalMs'),
    rebalanceTimeoutMs: checkPositiveInteger(options.rebalanceTimeoutMs ?? 60_000, 'rebalanceTimeoutMs'),
    maxBytesPerPartition: checkPositiveInteger(
      options.maxBytesPerPartition ?? 1_048_576,
      'maxBytesPerPartition',
    ),
    maxWaitTimeMs: checkIntegerInRange(
      options.maxWaitTimeMs ?? 500,
      'maxWaitTimeMs',
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    partitionsConsumedConcurrently: checkPositiveInteger(
      options.partitionsConsumedConcurrently ?? 1,
      'partitionsConsumedConcurrently',
    ),
  };
}
