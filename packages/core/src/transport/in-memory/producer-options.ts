import type { TransportProducerOptions } from '../transport';
import type { ResolvedBackboneOptions } from './backbone-options';
import {
  checkIntegerInRange,
  checkNonEmptyString,
  checkOneOf,
  checkPositiveInteger,
  invalidOption,
} from './option-checks';

export interface ResolvedProducerOptions {
  readonly idempotent: boolean;
  readonly transactionalId: string | undefined;
  readonly transactionTimeoutMs: number;
  readonly acks: -1 | 0 | 1;
  readonly compression: 'none' | 'gzip';
  readonly requestTimeoutMs: number;
}

export function resolveProducerOptions(
  options: TransportProducerOptions,
  broker: ResolvedBackboneOptions,
): ResolvedProducerOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'expected an object');
  const acks = checkOneOf(options.acks ?? -1, [-1, 0, 1] as const, 'acks');
  // As in the Java client: idempotence is on by default, unless acks asks for less than all replicas.
  const idempotent = checkOneOf(options.idempotent ?? acks === -1, [true, false], 'idempotent');
  if (idempotent && acks !== -1) throw invalidOption('acks', 'an idempotent producer needs acks -1');
  const transactionalId =
    options.transactionalId === undefined
      ? undefined
      : checkNonEmptyString(options.transactionalId, 'transactionalId');
  if (transactionalId !== undefined && !idempotent) {
    throw invalidOption('idempotent', 'a transactional producer must be idempotent');
  }
  return {
    idempotent,
    transactionalId,
    transactionTimeoutMs: checkIntegerInRange(
      options.transactionTimeoutMs ?? 60_000,
      'transactionTimeoutMs',
      1,
      broker.maxTransactionTimeoutMs,
    ),
    acks,
    compression: checkOneOf(options.compression ?? 'none', ['none', 'gzip'] as const, 'compression'),
    requestTimeoutMs: checkPositiveInteger(options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs'),
  };
}
