import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import type { CliConfig } from './cli-config';

/** The transport for one command run; the caller closes it. Fails fast when Kafka is down. */
export function openTransport(config: CliConfig): KafkaTransport {
  return createKafkaJsTransport({
    brokers: config.brokers,
    clientId: config.clientId,
    connectionTimeoutMs: 5_000,
    retry: { retries: 3 },
  });
}
