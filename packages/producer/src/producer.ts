import { randomUUID } from 'node:crypto';
import {
  type AnyEventDefinition,
  type CreateEventOptions,
  closedError,
  createEvent,
  createKafkaJsTransport,
  createUuidV7Generator,
  type EventData,
  type EventType,
  encodeEventRecord,
  InletError,
  InletErrorCode,
  InletValidationError,
  type KafkaTransport,
  type OutgoingRecord,
  type RecordAck,
  type TopicDefinition,
  type TopicPartitionOffset,
  type TransportProducer,
} from '@inlet/core';
import { BatchingSender, type PendingOutcome, type PendingRecord } from './batching-sender';
import type { ProducerStats } from './producer-diagnostics';
import {
  type ProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
} from './producer-options';
import { SendFailedError } from './send-failed-error';
import { activeTraceContext } from './trace-context';

/** One event to send: its type on the topic and its data, with optional envelope fields. */
export interface EventInput<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
  /** Keep an id (resending a known event, so consumers deduplicate it); a new UUIDv7 otherwise. */
  readonly id?: string;
  /** Which schema version to write; the newest one the topic defines otherwise. */
  readonly version?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Trace context; the active OpenTelemetry span's otherwise. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** The events a topic accepts, discriminated by `type`. */
export type TopicEventInput<TTopic> =
  TTopic extends TopicDefinition<infer TEvents>
    ? { [K in keyof TEvents]: EventInput<EventType<TEvents[K]>, EventData<TEvents[K]>> }[number]
    : never;

/** Where an event landed. */
export interface SendResult {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface ProducerSendOptions {
  /** Stops waiting for room in the buffer (INLET_ABORTED); an accepted event is sent regardless. */
  readonly signal?: AbortSignal;
}

/** Why events of a batch were refused before anything was sent. */
export class BatchRefusedError extends InletError {
  override readonly name: string = 'BatchRefusedError';
  readonly failures: readonly { readonly index: number; readonly error: InletError }[];

  constructor(failures: readonly { readonly index: number; readonly error: InletError }[], size: number) {
    const first = failures[0] as { index: number; error: InletError };
    super(
      first.error.code,
      `${failures.length} of ${size} events refused, nothing sent; event ${first.index}: ${first.error.message}`,
      { cause: first.error },
    );
    this.failures = failures;
  }
}

export interface ProducerTransaction {
  send<TTopic extends TopicDefinition>(topic: TTopic, event: TopicEventInput<TTopic>): Promise<SendResult>;
  sendBatch<TTopic extends TopicDefinition>(
    topic: TTopic,
    events: readonly TopicEventInput<TTopic>[],
  ): Promise<SendResult[]>;
  /** Commits consumer offsets with the transaction (consume-transform-produce). */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
}

export interface InletProducer {
  /** Validates, stamps and sends one event; resolves once the broker acknowledged it. */
  send<TTopic extends TopicDefinition>(
    topic: TTopic,
    event: TopicEventInput<TTopic>,
    options?: ProducerSendOptions,
  ): Promise<SendResult>;
  /**
   * Sends events of one topic together. All or nothing before sending: if any event is invalid,
   * none is sent (BatchRefusedError lists each). Resolves once all are acknowledged.
   */
  sendBatch<TTopic extends TopicDefinition>(
    topic: TTopic,
    events: readonly TopicEventInput<TTopic>[],
    options?: ProducerSendOptions,
  ): Promise<SendResult[]>;
  /** Runs `work` in a Kafka transaction: committed when it resolves, aborted when it throws. */
  transaction<T>(work: (transaction: ProducerTransaction) => Promise<T>): Promise<T>;
  /** Resolves once everything accepted so far is acknowledged or failed. */
  flush(): Promise<void>;
  stats(): ProducerStats;
  /**
   * Refuses new events, delivers what was accepted, closes. With `signal`, stops waiting when
   * it fires and fails what is left with INLET_CLOSED. Safe to call twice.
   */
  close(options?: { readonly signal?: AbortSignal }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface PreparedRecord {
  readonly record: OutgoingRecord;
  readonly bytes: number;
  readonly id: string;
  readonly type: string;
}

function recordBytes(record: OutgoingRecord): number {
  let bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  const headers = record.headers;
  if (headers !== undefined) {
    for (const name in headers) bytes += name.length + (headers[name] as string | Buffer).length;
  }
  return bytes;
}

/** How the one record of a `send` call ended: the call's own promise, settled directly. */
class SingleSendOutcome implements PendingOutcome {
  readonly result: Promise<SendResult>;
  #resolve: (result: SendResult) => void = () => undefined;
  #reject: (error: InletError) => void = () => undefined;

  constructor(readonly prepared: PreparedRecord) {
    this.result = new Promise<SendResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  acknowledged(_index: number, ack: RecordAck): void {
    const { id, type } = this.prepared;
    this.#resolve({ id, type, topic: ack.topic, partition: ack.partition, offset: ack.offset });
  }

  failed(_index: number, error: InletError): void {
    this.#reject(error);
  }
}

/** Collects how each record of one send / sendBatch call ended, and settles the call once. */
class SendOutcome implements PendingOutcome {
  readonly results: (SendResult | undefined)[];
  readonly failures: InletError[] = [];
  readonly done: Promise<void>;
  #remaining: number;
  #finish: () => void = () => undefined;

  constructor(readonly prepared: readonly PreparedRecord[]) {
    this.results = new Array<SendResult | undefined>(prepared.length);
    this.#remaining = prepared.length;
    this.done = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
  }

  acknowledged(index: number, ack: RecordAck): void {
    const item = this.prepared[index] as PreparedRecord;
    this.results[index] = {
      id: item.id,
      type: item.type,
      topic: ack.topic,
      partition: ack.partition,
      offset: ack.offset,
    };
    this.#settleOne();
  }

  failed(_index: number, error: InletError): void {
    if (!this.failures.includes(error)) this.failures.push(error);
    this.#settleOne();
  }

  #settleOne(): void {
    this.#remaining -= 1;
    if (this.#remaining === 0) this.#finish();
  }
}

function isTopicDefinition(value: unknown): value is TopicDefinition {
  return typeof value === 'object' && value !== null && typeof (value as TopicDefinition).find === 'function';
}

/**
 * Creates a producer: every event validated (schema, contract, event time, key) before it can
 * leave the process, stamped (id, produce time, source, trace context), keyed onto partitions
 * by murmur2, sent idempotently in coalesced batches with bounded buffering and retries.
 */
export function createProducer(options: ProducerOptions): InletProducer {
  const resolved: ResolvedProducerOptions = resolveProducerOptions(options);
  const producerId = randomUUID().slice(0, 8);
  const ownsTransport = resolved.transport === undefined;
  const transport: KafkaTransport =
    resolved.transport ??
    createKafkaJsTransport({
      ...resolved.connection,
      brokers: resolved.brokers as readonly string[],
      logger: resolved.logger,
    });
  const transportProducer: TransportProducer = transport.producer({
    idempotent: true,
    ...(resolved.transactionalId === undefined ? {} : { transactionalId: resolved.transactionalId }),
  });
  const sender = new BatchingSender({
    producerId,
    linger: resolved.linger,
    buffer: resolved.buffer,
    retry: resolved.retry,
    logger: resolved.logger,
    send: (records) => transportProducer.send(records),
  });
  const newId = createUuidV7Generator();
  let refused = 0;
  let closing: Promise<void> | undefined;
  // Sends called before close() are still accepted: close waits for them to be enqueued.
  const accepting = new Set<Promise<unknown>>();

  function tracked<T>(work: Promise<T>): Promise<T> {
    accepting.add(work);
    const forget = () => accepting.delete(work);
    work.then(forget, forget);
    return work;
  }
  let transactions: Promise<unknown> = Promise.resolve();

  function definitionFor(topic: TopicDefinition, input: EventInput): AnyEventDefinition {
    const definition =
      input.version === undefined ? topic.latest(input.type) : topic.find(input.type, input.version);
    if (definition === undefined) {
      const which =
        input.version === undefined ? `"${input.type}"` : `"${input.type}" version ${input.version}`;
      throw new InletValidationError(InletErrorCode.validationFailed, input.type, [
        {
          path: '(type)',
          message: `topic "${topic.name}" defines no ${which} (it has ${topic.types().join(', ')})`,
        },
      ]);
    }
    return definition;
  }

  async function schemaIdFor(topic: TopicDefinition, definition: AnyEventDefinition, started: number) {
    const registry = resolved.registry;
    if (registry === undefined) return undefined;
    const cached = registry.cachedSchemaIdFor(topic.name, definition);
    if (cached !== undefined) return cached;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await registry.schemaIdFor(topic.name, definition);
      } catch (error) {
        const waited = Date.now() - started;
        const retryable = InletError.is(error) && error.retryable;
        if (!retryable || waited >= resolved.retry.deliveryTimeoutMs) throw error;
        const delay = Math.min(resolved.retry.maxDelayMs, resolved.retry.minDelayMs * 2 ** attempt);
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(delay, resolved.retry.deliveryTimeoutMs - waited)),
        );
      }
    }
  }

  // Everything that can refuse an event, before any of it is buffered. Synchronous unless a
  // schema id must first be fetched from the registry.
  function prepare(
    topic: TopicDefinition,
    input: EventInput,
    now: number,
  ): PreparedRecord | Promise<PreparedRecord> {
    if (!isTopicDefinition(topic)) {
      throw new InletError(
        InletErrorCode.invalidOption,
        'send() takes a topic made with defineTopic() first',
      );
    }
    const definition = definitionFor(topic, input);
    const trace = input.traceparent === undefined ? activeTraceContext() : input;
    const eventOptions: { -readonly [K in keyof CreateEventOptions]: CreateEventOptions[K] } = {
      source: resolved.source,
      now,
      newId,
    };
    if (input.id !== undefined) eventOptions.id = input.id;
    if (input.headers !== undefined) eventOptions.headers = input.headers;
    if (trace.traceparent !== undefined) eventOptions.traceparent = trace.traceparent;
    if (trace.tracestate !== undefined) eventOptions.tracestate = trace.tracestate;
    const event = createEvent(definition, input.data, eventOptions);
    const encode = (schemaId: number | undefined): PreparedRecord => {
      const record = encodeEventRecord(topic.name, event, definition, {
        recordTimestamp: resolved.recordTimestamp,
        ...(schemaId === undefined ? {} : { schemaId }),
      });
      const bytes = recordBytes(record);
      if (bytes > resolved.maxRecordBytes) {
        throw new InletError(
          InletErrorCode.kafkaMessageTooLarge,
          `event "${event.type}" ${event.id} is ${bytes} bytes, more than maxRecordBytes (${resolved.maxRecordBytes}); nothing was sent`,
        );
      }
      return { record, bytes, id: event.id, type: event.type };
    };
    const registry = resolved.registry;
    if (registry === undefined) return encode(undefined);
    const cached = registry.cachedSchemaIdFor(topic.name, definition);
    if (cached !== undefined) return encode(cached);
    return schemaIdFor(topic, definition, now).then(encode);
  }

  function checkOpen(inTransaction: boolean): void {
    if (closing !== undefined) throw closedError('producer');
    if (!inTransaction && resolved.transactionalId !== undefined) {
      throw new InletError(
        InletErrorCode.invalidOption,
        'a transactional producer (transactionalId) sends only inside transaction()',
      );
    }
  }

  function accept(prepared: readonly PreparedRecord[]): SendOutcome {
    const acceptedAt = Date.now();
    const outcome = new SendOutcome(prepared);
    const pending: PendingRecord[] = new Array<PendingRecord>(prepared.length);
    for (let index = 0; index < prepared.length; index += 1) {
      const item = prepared[index] as PreparedRecord;
      pending[index] = {
        settled: false,
        record: item.record,
        bytes: item.bytes,
        eventId: item.id,
        acceptedAt,
        outcome,
        index,
      };
    }
    sender.enqueue(pending);
    return outcome;
  }

  function acceptOne(prepared: PreparedRecord): Promise<SendResult> {
    const outcome = new SingleSendOutcome(prepared);
    sender.enqueue([
      {
        settled: false,
        record: prepared.record,
        bytes: prepared.bytes,
        eventId: prepared.id,
        acceptedAt: Date.now(),
        outcome,
        index: 0,
      },
    ]);
    return outcome.result;
  }

  async function prepareAll(topic: TopicDefinition, events: readonly EventInput[], now: number) {
    const prepared: PreparedRecord[] = [];
    const failures: { index: number; error: InletError }[] = [];
    for (const [index, input] of events.entries()) {
      try {
        const item = prepare(topic, input, now);
        prepared.push(item instanceof Promise ? await item : item);
      } catch (error) {
        if (!InletError.is(error)) throw error;
        failures.push({ index, error });
      }
    }
    if (failures.length > 0) {
      refused += failures.length;
      throw new BatchRefusedError(failures, events.length);
    }
    return prepared;
  }

  async function settle(outcome: SendOutcome): Promise<SendResult[]> {
    await outcome.done;
    if (outcome.failures.length === 0) return outcome.results as SendResult[];
    const first = outcome.failures[0] as InletError;
    if (outcome.failures.length === 1 && outcome.results.every((result) => result === undefined)) throw first;
    const eventIds = outcome.prepared
      .filter((_, index) => outcome.results[index] === undefined)
      .map((item) => item.id);
    throw new SendFailedError(
      `${eventIds.length} of ${outcome.prepared.length} events were not acknowledged: ${first.message}`,
      eventIds,
      first instanceof SendFailedError ? first.attempts : 1,
      first,
    );
  }

  function transactionHandle(
    transaction: Awaited<ReturnType<TransportProducer['transaction']>>,
  ): ProducerTransaction {
    const sendPrepared = async (prepared: readonly PreparedRecord[]) => {
      const acks = await transaction.send(prepared.map((item) => item.record));
      return prepared.map((item, index) => {
        const ack = acks[index] as RecordAck;
        return {
          id: item.id,
          type: item.type,
          topic: ack.topic,
          partition: ack.partition,
          offset: ack.offset,
        };
      });
    };
    return {
      async send(topic, event) {
        const [result] = await sendPrepared(await prepareAll(topic, [event as EventInput], Date.now()));
        return result as SendResult;
      },
      async sendBatch(topic, events) {
        return sendPrepared(await prepareAll(topic, events as readonly EventInput[], Date.now()));
      },
      sendOffsets: (groupId, offsets) => transaction.sendOffsets(groupId, offsets),
    };
  }

  const producer: InletProducer = {
    send(topic, event, sendOptions = {}) {
      let prepared: PreparedRecord | Promise<PreparedRecord>;
      try {
        checkOpen(false);
        prepared = prepare(topic, event as EventInput, Date.now());
      } catch (error) {
        if (InletError.is(error) && error.code !== InletErrorCode.closed) refused += 1;
        return Promise.reject(error);
      }
      // The common case stays synchronous up to the one promise the caller awaits: a schema id
      // already cached, and room in the buffer.
      if (!(prepared instanceof Promise) && sender.tryReserve(1, prepared.bytes)) return acceptOne(prepared);
      return tracked(
        (async () => {
          let ready: PreparedRecord;
          try {
            ready = await prepared;
          } catch (error) {
            refused += 1;
            throw error;
          }
          await sender.reserve(1, ready.bytes, sendOptions.signal);
          return ready;
        })(),
      ).then(acceptOne);
    },

    async sendBatch(topic, events, sendOptions = {}) {
      checkOpen(false);
      if (events.length === 0) return [];
      const accepted = tracked(
        (async () => {
          const prepared = await prepareAll(topic, events as readonly EventInput[], Date.now());
          const bytes = prepared.reduce((sum, item) => sum + item.bytes, 0);
          await sender.reserve(prepared.length, bytes, sendOptions.signal);
          return accept(prepared);
        })(),
      );
      return settle(await accepted);
    },

    transaction<T>(work: (transaction: ProducerTransaction) => Promise<T>): Promise<T> {
      if (resolved.transactionalId === undefined) {
        return Promise.reject(
          new InletError(
            InletErrorCode.invalidOption,
            'transaction() needs a producer made with a transactionalId',
          ),
        );
      }
      checkOpen(true);
      const run = async (): Promise<T> => {
        const transaction = await transportProducer.transaction();
        let result: T;
        try {
          result = await work(transactionHandle(transaction));
        } catch (error) {
          await transaction.abort().catch((abortError: unknown) => {
            resolved.logger.error('aborting a transaction failed', {
              error: abortError instanceof Error ? abortError.message : String(abortError),
            });
          });
          throw error;
        }
        await transaction.commit();
        return result;
      };
      const next = transactions.then(run, run);
      transactions = next.catch(() => undefined);
      return next;
    },

    flush: () => sender.flush(),

    stats() {
      const { sent, failed, retries, batches, batchedRecords } = sender.counters;
      return {
        sent,
        failed,
        refused,
        retries,
        batches,
        bufferedRecords: sender.bufferedRecords,
        bufferedBytes: sender.bufferedBytes,
        meanBatchRecords: batches === 0 ? 0 : batchedRecords / batches,
      };
    },

    close(closeOptions = {}) {
      closing ??= (async () => {
        const signal = closeOptions.signal;
        const onAbort = () => sender.abort(closedError('producer'));
        if (signal?.aborted) onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await Promise.allSettled([...accepting]);
          sender.close();
          await sender.flush();
          await transactions;
        } finally {
          signal?.removeEventListener('abort', onAbort);
          await transportProducer.close();
          if (ownsTransport) await transport.close();
        }
      })();
      return closing;
    },

    [Symbol.asyncDispose]() {
      return producer.close();
    },
  };
  return producer;
}
