import {
  InletErrorCode,
  InletValidationError,
  type ResolvedTransportProducerOptions,
  resolveTransportProducerOptions,
  type TransportProducerOptions,
} from '@inlet/core';
import type { ResolvedBackboneOptions } from './backbone-options';

export type ResolvedProducerOptions = ResolvedTransportProducerOptions;

/** The port's producer options, and what this broker allows on top (transaction.max.timeout.ms). */
export function resolveProducerOptions(
  options: TransportProducerOptions,
  broker: ResolvedBackboneOptions,
): ResolvedProducerOptions {
  const resolved = resolveTransportProducerOptions(options);
  if (resolved.transactionTimeoutMs > broker.maxTransactionTimeoutMs) {
    throw new InletValidationError(InletErrorCode.invalidOption, undefined, [
      {
        path: '/transactionTimeoutMs',
        message: `must be at most the broker's transaction.max.timeout.ms (${broker.maxTransactionTimeoutMs})`,
      },
    ]);
  }
  return resolved;
}
