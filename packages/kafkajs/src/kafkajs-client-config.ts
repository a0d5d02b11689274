import { type InletLogger, Redacted, silentLogger } from '@inlet/core';
import { type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { ResolvedKafkaConnectionOptions, ResolvedSaslOptions } from './connection-options';
import { kafkaJsLogCreator } from './kafkajs-log-creator';

// The password is a non-enumerable getter: kafkajs reads it when it logs in, while inspect() and
// JSON.stringify() of kafkajs's internal objects (which keep this object) never see it.
function kafkaJsSasl(sasl: ResolvedSaslOptions): SASLOptions {
  const options = { mechanism: sasl.mechanism, username: sasl.username };
  Object.defineProperty(options, 'password', {
    get: () => Redacted.value(sasl.password),
    enumerable: false,
  });
  return options as SASLOptions;
}

/** The kafkajs client configuration for resolved Inlet connection options. */
export function kafkaJsClientConfig(
  options: ResolvedKafkaConnectionOptions,
  logger: InletLogger,
): KafkaConfig {
  const sasl = options.sasl;
  return {
    brokers: [...options.brokers],
    clientId: options.clientId,
    ssl: options.ssl,
    ...(sasl === undefined ? {} : { sasl: kafkaJsSasl(sasl) }),
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    enforceRequestTimeout: true,
    // factor and multiplier are spelled out because kafkajs picks other defaults when
    // NODE_ENV=test (as under vitest), which would make tests behave unlike production.
    retry: {
      retries: options.retry.retries,
      initialRetryTime: options.retry.initialRetryTimeMs,
      maxRetryTime: options.retry.maxRetryTimeMs,
      factor: 0.2,
      multiplier: 2,
    },
    logLevel: logger === silentLogger ? logLevel.NOTHING : logLevel.INFO,
    logCreator: kafkaJsLogCreator(logger, () => (sasl === undefined ? [] : [Redacted.value(sasl.password)])),
  };
}
