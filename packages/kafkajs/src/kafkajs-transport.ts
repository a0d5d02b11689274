import {
  closedError,
  InletErrorCode,
  type InletLogger,
  InletValidationError,
  type KafkaTransport,
  silentLogger,
} from '@inlet/core';
import { Kafka, type KafkaConfig } from 'kafkajs';
import {
  describeConnectionOptions,
  type KafkaConnectionOptions,
  printSafely,
  type ResolvedKafkaConnectionOptions,
  resolveConnectionOptions,
} from './connection-options';
import { stopIdleRequestQueuePolling } from './idle-request-queue';
import { createKafkaJsAdmin } from './kafkajs-admin';
import { kafkaJsClientConfig } from './kafkajs-client-config';
import { createKafkaJsConsumer } from './kafkajs-consumer';
import { createKafkaJsProducer } from './kafkajs-producer';
import { securityCheckingSocketFactory } from './security-checking-socket';
import { SecurityProtocolMismatches } from './security-protocol-mismatches';

export interface KafkaJsTransportOptions extends KafkaConnectionOptions {
  /** Where kafkajs's own log lines go (secrets scrubbed). Default: nowhere. */
  readonly logger?: InletLogger;
  /**
   * Producers create a topic that does not exist, with the cluster's default partitions and
   * replication, instead of failing with INLET_KAFKA_UNKNOWN_TOPIC; the same option as the
   * in-memory backbone's. Inlet creates it itself, whatever the broker's
   * `auto.create.topics.enable`. Default false: create topics with `ensureTopics`.
   */
  readonly autoCreateTopics?: boolean;
}

export interface ResolvedKafkaJsTransportOptions extends ResolvedKafkaConnectionOptions {
  readonly logger: InletLogger;
  readonly autoCreateTopics: boolean;
}

/** The kafkajs transport, with the options it was made with (safe to print). */
export interface KafkaJsTransport extends KafkaTransport {
  readonly kind: 'kafkajs';
  readonly options: ResolvedKafkaJsTransportOptions;
}

const loggerMethods = ['debug', 'info', 'warn', 'error'] as const;

function resolveLogger(logger: unknown): InletLogger {
  if (logger === undefined) return silentLogger;
  const complete =
    typeof logger === 'object' &&
    logger !== null &&
    loggerMethods.every((method) => typeof (logger as Record<string, unknown>)[method] === 'function');
  if (!complete) {
    throw new InletValidationError(InletErrorCode.invalidOption, undefined, [
      { path: '/logger', message: `must have the methods ${loggerMethods.join(', ')}` },
    ]);
  }
  return logger as InletLogger;
}

function resolveAutoCreateTopics(value: unknown): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true;
  throw new InletValidationError(InletErrorCode.invalidOption, undefined, [
    { path: '/autoCreateTopics', message: 'must be true or false' },
  ]);
}

function resolveTransportOptions(options: KafkaJsTransportOptions): ResolvedKafkaJsTransportOptions {
  const connection = resolveConnectionOptions(options);
  const resolved: ResolvedKafkaJsTransportOptions = {
    ...connection,
    logger: resolveLogger((options as { logger?: unknown }).logger),
    autoCreateTopics: resolveAutoCreateTopics((options as { autoCreateTopics?: unknown }).autoCreateTopics),
  };
  return Object.freeze(printSafely(resolved, () => describeConnectionOptions(resolved)));
}

// Said once per transport: every connection it makes accepts any certificate.
function warnIfTlsUnverified(options: ResolvedKafkaJsTransportOptions): void {
  if (typeof options.ssl !== 'object' || options.ssl.rejectUnauthorized !== false) return;
  options.logger.warn(
    'TLS certificate verification is off (ssl.rejectUnauthorized: false): the brokers are not ' +
      'authenticated, and anyone on the network path can read and change the traffic (a SASL ' +
      'PLAIN password included); give ssl.ca instead for a private CA',
    { brokers: options.brokers },
  );
}

interface Closeable {
  close(): Promise<void>;
}

/**
 * A {@link KafkaTransport} on a real Kafka cluster through kafkajs. Options are validated here
 * (INLET_INVALID_OPTION naming the option); producers, consumers and admins connect on first use;
 * `close()` closes everything this transport made. Every error that leaves it is an InletError.
 */
export function createKafkaJsTransport(options: KafkaJsTransportOptions): KafkaJsTransport {
  const resolved = resolveTransportOptions(options);
  warnIfTlsUnverified(resolved);
  stopIdleRequestQueuePolling();
  const mismatches = new SecurityProtocolMismatches();
  const config: KafkaConfig = {
    ...kafkaJsClientConfig(resolved, resolved.logger),
    socketFactory: securityCheckingSocketFactory(
      {
        sasl: resolved.sasl !== undefined,
        clientId: resolved.clientId,
        connectionTimeoutMs: resolved.connectionTimeoutMs,
      },
      mismatches,
    ),
  };
  const newKafka = () => mismatches.failingFast(new Kafka(config));
  // kafkajs shares committed-offset caches between the consumers of one client, keyed by group
  // only, so every consumer gets a client of its own; producers and admins share one.
  const shared = newKafka();
  const made = new Set<Closeable>();
  let closing: Promise<void> | undefined;

  function make<T extends Closeable>(create: () => T): T {
    if (closing !== undefined) throw closedError('kafkajs transport');
    const resource = create();
    const close = resource.close.bind(resource);
    resource.close = () => {
      made.delete(resource);
      return close();
    };
    made.add(resource);
    return resource;
  }

  async function closeAll(): Promise<void> {
    const results = await Promise.allSettled([...made].map((resource) => resource.close()));
    for (const result of results) {
      if (result.status === 'rejected') {
        resolved.logger.warn('closing a Kafka client failed', { error: String(result.reason) });
      }
    }
  }

  return {
    kind: 'kafkajs',
    options: resolved,
    producer: (producerOptions) =>
      make(() =>
        createKafkaJsProducer(shared, resolved.retry, producerOptions, {
          autoCreateTopics: resolved.autoCreateTopics,
        }),
      ),
    consumer: (consumerOptions) =>
      make(() => createKafkaJsConsumer(newKafka(), resolved.retry, consumerOptions)),
    admin: () => make(() => createKafkaJsAdmin(shared, resolved.retry, newKafka)),
    close() {
      closing ??= closeAll();
      return closing;
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
