import { InletErrorCode, InletValidationError, type ValidationIssue } from '../errors';
import type { IsolationLevel, TransportConsumerOptions, TransportProducerOptions } from './transport';

export interface ResolvedTransportProducerOptions {
  readonly idempotent: boolean;
  readonly transactionalId: string | undefined;
  readonly transactionTimeoutMs: number;
  readonly acks: -1 | 0 | 1;
  readonly compression: 'none' | 'gzip';
  readonly requestTimeoutMs: number;
}

export interface ResolvedTransportConsumerOptions {
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

type Issues = ValidationIssue[];

function integerAtLeast(minimum: number) {
  return (value: unknown, path: string, fallback: number, issues: Issues): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      issues.push({ path, message: `must be an integer of at least ${minimum}` });
      return fallback;
    }
    return value;
  };
}

const positiveInteger = integerAtLeast(1);
const nonNegativeInteger = integerAtLeast(0);

function oneOf<T>(value: unknown, allowed: readonly T[], path: string, fallback: T, issues: Issues): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    issues.push({
      path,
      message: `must be one of ${allowed.map((entry) => JSON.stringify(entry)).join(', ')}`,
    });
    return fallback;
  }
  return value as T;
}

function throwIfIssues(issues: Issues): void {
  if (issues.length > 0) throw new InletValidationError(InletErrorCode.invalidOption, undefined, issues);
}

/**
 * Validates producer options and fills in the defaults. Idempotence needs acks -1: when it was
 * not asked for, acks 0 or 1 turn it off (as in the Java client); asked for, the pair is refused.
 * A transactional producer is always idempotent.
 */
export function resolveTransportProducerOptions(
  options: TransportProducerOptions = {},
): ResolvedTransportProducerOptions {
  const issues: Issues = [];
  const acks = oneOf(options.acks, [-1, 0, 1] as const, '/acks', -1, issues);
  const transactionalId = options.transactionalId;
  if (transactionalId !== undefined && (typeof transactionalId !== 'string' || transactionalId === '')) {
    issues.push({ path: '/transactionalId', message: 'must be a non-empty string' });
  }
  if (options.idempotent !== undefined && typeof options.idempotent !== 'boolean') {
    issues.push({ path: '/idempotent', message: 'must be a boolean' });
  }
  const idempotent = transactionalId !== undefined || (options.idempotent ?? acks === -1);
  if (idempotent && acks !== -1) {
    issues.push({ path: '/acks', message: 'must be -1 for an idempotent or transactional producer' });
  }
  if (transactionalId !== undefined && options.idempotent === false) {
    issues.push({ path: '/idempotent', message: 'cannot be false for a transactional producer' });
  }
  const resolved: ResolvedTransportProducerOptions = {
    idempotent,
    transactionalId,
    transactionTimeoutMs: positiveInteger(
      options.transactionTimeoutMs,
      '/transactionTimeoutMs',
      60_000,
      issues,
    ),
    acks,
    compression: oneOf(options.compression, ['none', 'gzip'] as const, '/compression', 'none', issues),
    requestTimeoutMs: positiveInteger(options.requestTimeoutMs, '/requestTimeoutMs', 30_000, issues),
  };
  throwIfIssues(issues);
  return resolved;
}

/** Validates consumer options and fills in the port's defaults. */
export function resolveTransportConsumerOptions(
  options: TransportConsumerOptions,
): ResolvedTransportConsumerOptions {
  const issues: Issues = [];
  const input: Partial<TransportConsumerOptions> =
    typeof options === 'object' && options !== null ? options : {};
  if (typeof input.groupId !== 'string' || input.groupId === '') {
    issues.push({ path: '/groupId', message: 'must be a non-empty string' });
  }
  const resolved: ResolvedTransportConsumerOptions = {
    groupId: String(input.groupId),
    isolation: oneOf(
      input.isolation,
      ['read_committed', 'read_uncommitted'] as const,
      '/isolation',
      'read_committed',
      issues,
    ),
    autoOffsetReset: oneOf(
      input.autoOffsetReset,
      ['earliest', 'latest'] as const,
      '/autoOffsetReset',
      'earliest',
      issues,
    ),
    sessionTimeoutMs: positiveInteger(input.sessionTimeoutMs, '/sessionTimeoutMs', 30_000, issues),
    heartbeatIntervalMs: positiveInteger(input.heartbeatIntervalMs, '/heartbeatIntervalMs', 3_000, issues),
    rebalanceTimeoutMs: positiveInteger(input.rebalanceTimeoutMs, '/rebalanceTimeoutMs', 60_000, issues),
    maxBytesPerPartition: positiveInteger(
      input.maxBytesPerPartition,
      '/maxBytesPerPartition',
      1_048_576,
      issues,
    ),
    maxWaitTimeMs: nonNegativeInteger(input.maxWaitTimeMs, '/maxWaitTimeMs', 500, issues),
    partitionsConsumedConcurrently: positiveInteger(
      input.partitionsConsumedConcurrently,
      '/partitionsConsumedConcurrently',
      1,
      issues,
    ),
  };
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    issues.push({ path: '/heartbeatIntervalMs', message: 'must be less than sessionTimeoutMs' });
  }
  throwIfIssues(issues);
  return resolved;
}
