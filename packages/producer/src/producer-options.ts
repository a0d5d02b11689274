import { hostname } from 'node:os';
import {
  InletError,
  InletErrorCode,
  type InletLogger,
  type KafkaConnectionOptions,
  type KafkaTransport,
  type RecordTimestampSource,
  type SchemaResolver,
  silentLogger,
} from '@inlet/core';

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
   * The longest an accepted event may wait for its acknowledgement, from `send` to ack, across
   * buffering, schema resolution and retries (Kafka's delivery.timeout.ms). Default 120 000 ms.
   */
  readonly deliveryTimeoutMs?: number;
}

export interface ProducerOptions {
  /** The transport to send through; not closed by the producer. Give this or `brokers`. */
  readonly transport?: KafkaTransport;
  /** Or connect to these brokers through kafkajs (owned and closed by the producer). */
  readonly brokers?: readonly string[];
  /** Connection settings used with `brokers`. */
  readonly connection?: Omit<KafkaConnectionOptions, 'brokers'>;
  /** A schema registry: values are framed with schema ids, schemas checked before sending. */
  readonly registry?: SchemaResolver;
  /** CloudEvents `source` stamped on every event. Default `urn:inlet:<hostname>:<pid>`. */
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
  readonly connection: Omit<KafkaConnectionOptions, 'brokers'>;
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

function invalid(path: string, message: string): InletError {
  return new InletError(InletErrorCode.invalidOption, `producer option ${path}: ${message}`);
}

function positiveInteger(value: unknown, path: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw invalid(
      path,
      `must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`,
    );
  }
  return value;
}

/** Checks every option and fills in the defaults; the error names the option. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  if (options.transport === undefined && (options.brokers === undefined || options.brokers.length === 0)) {
    throw invalid('transport', 'give a transport or a non-empty brokers list');
  }
  if (options.transport !== undefined && options.brokers !== undefined) {
    throw invalid('brokers', 'give a transport or brokers, not both');
  }
  const linger = { ...producerDefaults.linger, ...options.linger };
  positiveInteger(linger.ms, 'linger.ms', true);
  positiveInteger(linger.maxRecords, 'linger.maxRecords');
  positiveInteger(linger.maxBytes, 'linger.maxBytes');
  const buffer = { ...producerDefaults.buffer, ...options.buffer };
  positiveInteger(buffer.maxRecords, 'buffer.maxRecords');
  positiveInteger(buffer.maxBytes, 'buffer.maxBytes');
  if (buffer.whenFull !== 'wait' && buffer.whenFull !== 'fail')
    throw invalid('buffer.whenFull', 'must be wait or fail');
  if (buffer.maxRecords < linger.maxRecords) {
    throw invalid('buffer.maxRecords', `must be at least linger.maxRecords (${linger.maxRecords})`);
  }
  const retry = { ...producerDefaults.retry, ...options.retry };
  positiveInteger(retry.retries, 'retry.retries', true);
  positiveInteger(retry.minDelayMs, 'retry.minDelayMs', true);
  positiveInteger(retry.maxDelayMs, 'retry.maxDelayMs', true);
  positiveInteger(retry.deliveryTimeoutMs, 'retry.deliveryTimeoutMs');
  const maxRecordBytes = positiveInteger(
    options.maxRecordBytes ?? producerDefaults.maxRecordBytes,
    'maxRecordBytes',
  );
  if (maxRecordBytes > buffer.maxBytes) throw invalid('maxRecordBytes', 'must not exceed buffer.maxBytes');
  const recordTimestamp = options.recordTimestamp ?? producerDefaults.recordTimestamp;
  if (recordTimestamp !== 'eventTime' && recordTimestamp !== 'producedAt') {
    throw invalid('recordTimestamp', 'must be eventTime or producedAt');
  }
  const source = options.source ?? `urn:inlet:${hostname()}:${process.pid}`;
  if (typeof source !== 'string' || source.length === 0)
    throw invalid('source', 'must be a non-empty URI reference');
  if (options.transactionalId !== undefined && options.transactionalId.length === 0) {
    throw invalid('transactionalId', 'must not be empty');
  }
  return {
    transport: options.transport,
    brokers: options.brokers,
    connection: options.connection ?? {},
    registry: options.registry,
    source,
    recordTimestamp,
    maxRecordBytes,
    linger,
    buffer,
    retry,
    transactionalId: options.transactionalId,
    logger: options.logger ?? silentLogger,
  };
}
