import { hostname } from 'node:os';
import {
  checkOptions,
  type InletLogger,
  type KafkaTransport,
  type OptionShape,
  option,
  type RecordTimestampSource,
  type SchemaResolver,
  silentLogger,
  type ValidationIssue,
} from '@inlet/core';
import type { KafkaJsTransportOptions } from '@inlet/kafkajs';

export interface LingerOptions {
  /**
   * How long the first record of a batch waits for company when nothing is in flight. Default
   * 1 ms. (Kafka's Java client defaults to 5 ms, but keeps several requests in flight; Inlet keeps
   * one, and batches whatever arrives while it is in flight, so a long linger only adds latency.)
   */
  readonly ms?: number;
  /** A batch is sent as soon as it holds this many records. Default 1 000. */
  readonly maxRecords?: number;
  /** …or this many bytes of keys, values and headers. Default 1 MiB. */
  readonly maxBytes?: number;
}

export interface BufferOptions {
  /** Records accepted but not yet acknowledged, at most. Default 20 000. */
  readonly maxRecords?: number;
  /** Bytes accepted but not yet acknowledged, at most. Default 32 MiB. */
  readonly maxBytes?: number;
  /** When full, `send` waits for room (default) or fails at once with INLET_BUFFER_FULL. */
  readonly whenFull?: 'wait' | 'fail';
}

export interface RetryOptions {
  /** Attempts after the first for a batch that failed with a retryable error. Default 8. */
  readonly retries?: number;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * The longest a `send` / `sendBatch` takes from the call to its outcome (Kafka's
   * delivery.timeout.ms and max.block.ms in one): waiting for the topic's metadata, a schema id
   * and room in the buffer, batching, retries, and a request still unanswered, which is then
   * given up and its events reported as unknown (SendFailedError, reason `delivery-timeout`).
   * Default 120 000 ms; at most 2 147 483 647 (about 24 days).
   */
  readonly deliveryTimeoutMs?: number;
}

export interface ProducerOptions {
  /** The transport to send through; not closed by the producer. Give this or `brokers`. */
  readonly transport?: KafkaTransport;
  /** Or connect to these brokers through kafkajs (owned and closed by the producer). */
  readonly brokers?: readonly string[];
  /** Connection settings used with `brokers` (`autoCreateTopics` among them). */
  readonly connection?: Omit<KafkaJsTransportOptions, 'brokers' | 'logger'>;
  /** A schema registry: values are framed with schema ids, schemas checked before sending. */
  readonly registry?: SchemaResolver;
  /**
   * CloudEvents `source` stamped on every event: name your service (`urn:svc:checkout`). Default
   * `urn:inlet:<hostname>`, which a restart keeps, so that an event resent with the same id after
   * a restart is the same CloudEvent (source + id) to readers that deduplicate on both.
   */
  readonly source?: string;
  /** Which instant the Kafka record timestamp carries. Default `eventTime` (see @inlet/core). */
  readonly recordTimestamp?: RecordTimestampSource;
  /** Records larger than this (key + value + headers) are refused before sending. Default 1 MiB. */
  readonly maxRecordBytes?: number;
  readonly linger?: LingerOptions;
  readonly buffer?: BufferOptions;
  readonly retry?: RetryOptions;
  /** Makes the producer transactional: `transaction()` only; `send` outside one is refused. */
  readonly transactionalId?: string;
  readonly logger?: InletLogger;
}

export interface ResolvedProducerOptions {
  readonly transport: KafkaTransport | undefined;
  readonly brokers: readonly string[] | undefined;
  readonly connection: Omit<KafkaJsTransportOptions, 'brokers' | 'logger'>;
  readonly registry: SchemaResolver | undefined;
  readonly source: string;
  readonly recordTimestamp: RecordTimestampSource;
  readonly maxRecordBytes: number;
  readonly linger: Required<LingerOptions>;
  readonly buffer: Required<BufferOptions>;
  readonly retry: Required<RetryOptions>;
  readonly transactionalId: string | undefined;
  readonly logger: InletLogger;
}

export const producerDefaults = {
  linger: { ms: 1, maxRecords: 1000, maxBytes: 1024 * 1024 },
  buffer: { maxRecords: 20_000, maxBytes: 32 * 1024 * 1024, whenFull: 'wait' },
  retry: { retries: 8, minDelayMs: 100, maxDelayMs: 5_000, deliveryTimeoutMs: 120_000 },
  maxRecordBytes: 1024 * 1024,
  recordTimestamp: 'eventTime',
} as const;

// Timers hold at most a signed 32-bit count of milliseconds.
const maxTimerMs = 2_147_483_647;

const lingerShape = {
  ms: option.integer({ min: 0 }),
  maxRecords: option.integer({ min: 1 }),
  maxBytes: option.integer({ min: 1 }),
};

const bufferShape = {
  maxRecords: option.integer({ min: 1 }),
  maxBytes: option.integer({ min: 1 }),
  whenFull: option.oneOf(['wait', 'fail']),
};

const retryShape = {
  retries: option.integer({ min: 0 }),
  minDelayMs: option.integer({ min: 0, max: maxTimerMs }),
  maxDelayMs: option.integer({ min: 0, max: maxTimerMs }),
  deliveryTimeoutMs: option.integer({ min: 1, max: maxTimerMs }),
};

// Only the keys are checked here; their values are checked with the kafkajs transport's options.
const connectionShape = Object.fromEntries(
  ['clientId', 'ssl', 'sasl', 'connectionTimeoutMs', 'requestTimeoutMs', 'retry', 'autoCreateTopics'].map(
    (key) => [key, option.custom('a connection option', () => true)],
  ),
);

/** Every option `createProducer` takes, and what each must be. */
export const producerOptionShape: OptionShape = {
  transport: option.methods('a KafkaTransport', ['producer', 'consumer', 'admin', 'close']),
  brokers: option.arrayOf(option.nonEmptyString(), { minItems: 1 }),
  connection: option.object(connectionShape),
  registry: option.methods('a SchemaResolver', ['schemaIdFor', 'cachedSchemaIdFor']),
  source: option.nonEmptyString(),
  recordTimestamp: option.oneOf(['eventTime', 'producedAt']),
  maxRecordBytes: option.integer({ min: 1 }),
  linger: option.object(lingerShape),
  buffer: option.object(bufferShape),
  retry: option.object(retryShape),
  transactionalId: option.nonEmptyString(),
  logger: option.methods('a logger', ['debug', 'info', 'warn', 'error']),
};

function crossChecks(options: Record<string, unknown>, issues: ValidationIssue[]): void {
  const given = options as ProducerOptions;
  if (given.transport === undefined && given.brokers === undefined) {
    issues.push({ path: 'transport', message: 'give a transport or a non-empty brokers list' });
  }
  if (given.transport !== undefined && given.brokers !== undefined) {
    issues.push({ path: 'brokers', message: 'give a transport or brokers, not both' });
  }
  if (given.transport !== undefined && given.connection !== undefined) {
    issues.push({ path: 'connection', message: 'goes with brokers; a transport has its own connection' });
  }
  const linger = { ...producerDefaults.linger, ...given.linger };
  const buffer = { ...producerDefaults.buffer, ...given.buffer };
  const retry = { ...producerDefaults.retry, ...given.retry };
  if (buffer.maxRecords < linger.maxRecords) {
    issues.push({
      path: 'buffer.maxRecords',
      message: `must be at least linger.maxRecords (${linger.maxRecords}), got ${buffer.maxRecords}`,
    });
  }
  const maxRecordBytes = given.maxRecordBytes ?? producerDefaults.maxRecordBytes;
  if (maxRecordBytes > buffer.maxBytes) {
    issues.push({
      path: 'maxRecordBytes',
      message: `must not exceed buffer.maxBytes (${buffer.maxBytes}), got ${maxRecordBytes}`,
    });
  }
  if (retry.maxDelayMs < retry.minDelayMs) {
    issues.push({
      path: 'retry.maxDelayMs',
      message: `must not be less than retry.minDelayMs (${retry.minDelayMs}), got ${retry.maxDelayMs}`,
    });
  }
}

/** The default CloudEvents source: the host, which a restart of the process keeps. */
export function defaultSource(): string {
  return `urn:inlet:${hostname()}`;
}

/** Checks every option (unknown keys included) and fills in the defaults; errors name the option. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  checkOptions('producer', options, producerOptionShape, crossChecks);
  return {
    transport: options.transport,
    brokers: options.brokers,
    connection: options.connection ?? {},
    registry: options.registry,
    source: options.source ?? defaultSource(),
    recordTimestamp: options.recordTimestamp ?? producerDefaults.recordTimestamp,
    maxRecordBytes: options.maxRecordBytes ?? producerDefaults.maxRecordBytes,
    linger: { ...producerDefaults.linger, ...options.linger },
    buffer: { ...producerDefaults.buffer, ...options.buffer },
    retry: { ...producerDefaults.retry, ...options.retry },
    transactionalId: options.transactionalId,
    logger: options.logger ?? silentLogger,
  };
}
