import {
  InletErrorCode,
  InletValidationError,
  type ResolvedTransportConsumerOptions,
  resolveTransportConsumerOptions,
  type TransportConsumerOptions,
} from '@inlet/core';
import type { ResolvedBackboneOptions } from './backbone-options';

export type ResolvedConsumerOptions = ResolvedTransportConsumerOptions;

/** The port's consumer options, and what this broker allows on top (its session timeout range). */
export function resolveConsumerOptions(
  options: TransportConsumerOptions,
  broker: ResolvedBackboneOptions,
): ResolvedConsumerOptions {
  const resolved = resolveTransportConsumerOptions(options);
  // The broker refuses session timeouts outside its group.min/max.session.timeout.ms.
  if (
    resolved.sessionTimeoutMs < broker.minSessionTimeoutMs ||
    resolved.sessionTimeoutMs > broker.maxSessionTimeoutMs
  ) {
    throw new InletValidationError(InletErrorCode.invalidOption, undefined, [
      {
        path: '/sessionTimeoutMs',
        message: `must be between the broker's group.min.session.timeout.ms (${broker.minSessionTimeoutMs}) and group.max.session.timeout.ms (${broker.maxSessionTimeoutMs})`,
      },
    ]);
  }
  return resolved;
}
