import { randomUUID } from 'node:crypto';
import {
  type AnyEventDefinition,
  backoffDelayMs,
  CloudEventHeader,
  type CreateEventOptions,
  closedError,
  cloudEventsSpecVersion,
  createEvent,
  createUuidV7Generator,
  type EntityKey,
  type EventData,
  type EventType,
  encodeEventRecord,
  entityKeyBytes,
  InletError,
  InletErrorCode,
  InletValidationError,
  type KafkaTransport,
  type OutgoingRecord,
  type RecordAck,
  sleep,
  type TopicDefinition,
  type TopicPartitionOffset,
  type TransportProducer,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { BatchingSender, type PendingOutcome, type PendingRecord } from './batching-sender';
import type { ProducerStats } from './producer-diagnostics';
import {
  type ProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
} from './producer-options';
import { SendFailedError } from './send-failed-error';
import { SendIntake } from './send-intake';
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
  /**
   * Stops waiting before the events are accepted — for room in the buffer, a schema id, the
   * topic's metadata — with INLET_ABORTED; an accepted event is sent regardless.
   */
  readonly signal?: AbortSignal;
}

/** A delete: what a tombstone (a record with the entity's key and no value) carries in its headers. */
export interface TombstoneInput {
  /**
   * The entity's version (`ce_entityversion`): readers that keep versions keep it, so that an
   * older update cannot bring the entity back.
   */
  readonly entityVersion?: number;
  /** `ce_id`: keep one (forwarding, resending) so that readers deduplicate it; a new UUIDv7 otherwise. */
  readonly id?: string;
  /** `ce_type`: the event type whose entity it deletes. */
  readonly type?: string;
  /** `ce_time`: when the entity was deleted; now otherwise. */
  readonly eventTime?: Date;
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
  /** A tombstone inside the transaction: see {@link InletProducer.sendTombstone}. */
  sendTombstone(topic: TopicDefinition, key: EntityKey, tombstone?: TombstoneInput): Promise<SendResult>;
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
  /**
   * Deletes `key`'s entity: sends a tombstone, a record with the key and no value, onto the
   * key's partition, with `ce_id`, `ce_source`, `ce_time` and, when given, `ce_type` and
   * `ce_entityversion` headers (which `@inlet/consumer` reads with `tombstones: 'deliver'`).
   * Resolves once the broker acknowledged it. `type` in the result is `tombstone.type` or ''.
   */
  sendTombstone(
    topic: TopicDefinition,
    key: EntityKey,
    tombstone?: TombstoneInput,
    options?: ProducerSendOptions,
  ): Promise<SendResult>;
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
  readonly traceparent: string | undefined;
  /** The event's time (ms since the epoch), for the diagnostics' freshness. */
  readonly eventTime: number;
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

/** Settles with `work`, or rejects with `timedOut()` at `deadline` (ms since the epoch). */
function withDeadline<T>(work: Promise<T>, deadline: number, timedOut: () => InletError): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Resolves when `signal` fires; never when there is none. */
function whenAborted(signal: AbortSignal | undefined): { readonly fired: Promise<void>; stop(): void } {
  if (signal === undefined) return { fired: new Promise(() => undefined), stop: () => undefined };
  let onAbort: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    onAbort = resolve;
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { fired, stop: () => signal.removeEventListener('abort', onAbort) };
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
  const { deliveryTimeoutMs } = resolved.retry;
  const sender = new BatchingSender({
    producerId,
    linger: resolved.linger,
    buffer: resolved.buffer,
    retry: resolved.retry,
    logger: resolved.logger,
    send: (records, signal) => transportProducer.send(records, { signal }),
  });
  const intake = new SendIntake<PreparedRecord>(sender);
  const newId = createUuidV7Generator();
  // Topics the transport has confirmed exist; a send to any other one first asks, so that a
  // missing topic refuses only its own sends, never the batch they would share with others.
  const knownTopics = new Set<string>();
  const topicLookups = new Map<string, Promise<unknown>>();
  let refused = 0;
  let closing: Promise<void> | undefined;
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

  // Retries a lookup that fails retryably until `deadline`; the last error is the answer then.
  async function untilDeadline<T>(
    lookup: () => Promise<T>,
    deadline: number,
    timedOut: (last: unknown) => InletError,
  ): Promise<T> {
    let last: unknown;
    for (let retry = 1; ; retry += 1) {
      try {
        return await withDeadline(lookup(), deadline, () => timedOut(last));
      } catch (error) {
        if (Date.now() >= deadline) throw InletError.is(error) ? error : timedOut(error);
        if (!InletError.is(error) || !error.retryable) throw error;
        last = error;
        await sleep(Math.min(backoffDelayMs(retry, resolved.retry), deadline - Date.now()));
      }
    }
  }

  function schemaIdFor(topic: TopicDefinition, definition: AnyEventDefinition, deadline: number) {
    const registry = resolved.registry as NonNullable<typeof resolved.registry>;
    return untilDeadline(
      () => registry.schemaIdFor(topic.name, definition),
      deadline,
      (last) =>
        InletError.is(last)
          ? last
          : new InletError(
              InletErrorCode.registryUnavailable,
              `no schema id for "${definition.type}" from the schema registry within the delivery timeout (${deliveryTimeoutMs} ms); nothing was sent`,
              { retryable: true },
            ),
    );
  }

  /** Undefined when the topic is known to exist; otherwise resolves once the transport says it does. */
  function topicReady(topic: string, deadline: number): Promise<void> | undefined {
    if (knownTopics.has(topic)) return undefined;
    const lookupOnce = () => {
      let lookup = topicLookups.get(topic);
      if (lookup === undefined) {
        lookup = transportProducer.partitionCount(topic).finally(() => topicLookups.delete(topic));
        topicLookups.set(topic, lookup);
      }
      return lookup;
    };
    return untilDeadline(lookupOnce, deadline, (last) =>
      InletError.is(last)
        ? last
        : new InletError(
            InletErrorCode.timeout,
            `no metadata for topic "${topic}" within the delivery timeout (${deliveryTimeoutMs} ms); nothing was sent`,
            { retryable: true },
          ),
    ).then(() => {
      knownTopics.add(topic);
    });
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
      return {
        record,
        bytes,
        id: event.id,
        type: event.type,
        traceparent: event.traceparent,
        eventTime: event.eventTime.getTime(),
      };
    };
    const registry = resolved.registry;
    if (registry === undefined) return encode(undefined);
    const cached = registry.cachedSchemaIdFor(topic.name, definition);
    if (cached !== undefined) return encode(cached);
    return schemaIdFor(topic, definition, now + deliveryTimeoutMs).then(encode);
  }

  function prepareTombstone(
    topic: TopicDefinition,
    key: EntityKey,
    input: TombstoneInput,
    now: number,
  ): PreparedRecord {
    if (!isTopicDefinition(topic)) {
      throw new InletError(
        InletErrorCode.invalidOption,
        'sendTombstone() takes a topic made with defineTopic() first',
      );
    }
    const { entityVersion, eventTime } = input;
    if (entityVersion !== undefined && !(Number.isSafeInteger(entityVersion) && entityVersion >= 0)) {
      throw new InletValidationError(InletErrorCode.validationFailed, input.type, [
        { path: '(entityVersion)', message: `must be a non-negative integer, got ${String(entityVersion)}` },
      ]);
    }
    if (eventTime !== undefined && !(eventTime instanceof Date && !Number.isNaN(eventTime.getTime()))) {
      throw new InletValidationError(InletErrorCode.invalidEventTime, input.type, [
        { path: '(eventTime)', message: 'must be a valid Date' },
      ]);
    }
    const id = input.id ?? newId();
    const time = eventTime ?? new Date(now);
    const headers: Record<string, string> = {
      [CloudEventHeader.specVersion]: cloudEventsSpecVersion,
      [CloudEventHeader.id]: id,
      [CloudEventHeader.source]: resolved.source,
      [CloudEventHeader.time]: time.toISOString(),
    };
    if (input.type !== undefined) headers[CloudEventHeader.type] = input.type;
    if (entityVersion !== undefined) headers[CloudEventHeader.entityVersion] = String(entityVersion);
    const record: OutgoingRecord = {
      topic: topic.name,
      key: entityKeyBytes(key, input.type),
      value: null,
      headers,
      timestamp: resolved.recordTimestamp === 'producedAt' ? now : time.getTime(),
    };
    return {
      record,
      bytes: recordBytes(record),
      id,
      type: input.type ?? '',
      traceparent: undefined,
      eventTime: time.getTime(),
    };
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

  function accept(prepared: readonly PreparedRecord[], calledAt: number): SendOutcome {
    const outcome = new SendOutcome(prepared);
    const pending: PendingRecord[] = new Array<PendingRecord>(prepared.length);
    for (let index = 0; index < prepared.length; index += 1) {
      const item = prepared[index] as PreparedRecord;
      pending[index] = {
        settled: false,
        record: item.record,
        bytes: item.bytes,
        eventId: item.id,
        traceparent: item.traceparent,
        eventTime: item.eventTime,
        calledAt,
        outcome,
        index,
      };
    }
    sender.enqueue(pending);
    return outcome;
  }

  function acceptOne(prepared: PreparedRecord, calledAt: number): Promise<SendResult> {
    const outcome = new SingleSendOutcome(prepared);
    sender.enqueue([
      {
        settled: false,
        record: prepared.record,
        bytes: prepared.bytes,
        eventId: prepared.id,
        traceparent: prepared.traceparent,
        eventTime: prepared.eventTime,
        calledAt,
        outcome,
        index: 0,
      },
    ]);
    return outcome.result;
  }

  type Prepared = PreparedRecord | Promise<PreparedRecord>;

  /** Prepares each event; the refusals, by index, of those that fail at once. */
  function prepareEach(topic: TopicDefinition, events: readonly EventInput[], now: number) {
    const items: Prepared[] = [];
    const indexes: number[] = [];
    const failures: { index: number; error: InletError }[] = [];
    let waits = false;
    for (const [index, input] of events.entries()) {
      try {
        const item = prepare(topic, input, now);
        if (item instanceof Promise) {
          waits = true;
          item.catch(() => undefined);
        }
        items.push(item);
        indexes.push(index);
      } catch (error) {
        if (!InletError.is(error)) throw error;
        failures.push({ index, error });
      }
    }
    return { items, indexes, failures, waits };
  }

  // All or nothing: every event prepared, or a BatchRefusedError listing each refusal.
  async function gather(
    events: readonly unknown[],
    prepared: ReturnType<typeof prepareEach>,
    topicWait: Promise<void> | undefined,
  ): Promise<PreparedRecord[]> {
    const failures = [...prepared.failures];
    const ready: PreparedRecord[] = [];
    const settled = await Promise.allSettled(prepared.items);
    settled.forEach((result, position) => {
      if (result.status === 'fulfilled') {
        ready.push(result.value);
        return;
      }
      if (!InletError.is(result.reason)) throw result.reason;
      failures.push({ index: prepared.indexes[position] as number, error: result.reason });
    });
    if (failures.length > 0) {
      refused += events.length;
      throw new BatchRefusedError(
        failures.sort((a, b) => a.index - b.index),
        events.length,
      );
    }
    if (topicWait !== undefined) {
      await topicWait.catch((error: unknown) => {
        refused += events.length;
        throw error;
      });
    }
    return ready;
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
      first instanceof SendFailedError ? first.reason : 'not-retryable',
    );
  }

  function transactionHandle(
    transaction: Awaited<ReturnType<TransportProducer['transaction']>>,
  ): ProducerTransaction {
    // Calls reach the transaction in the order they were made, as plain sends reach the sender.
    let previous: Promise<unknown> = Promise.resolve();
    const sendInOrder = (
      topic: TopicDefinition,
      events: readonly unknown[],
      prepareAll: (now: number) => ReturnType<typeof prepareEach> = (now) =>
        prepareEach(topic, events as readonly EventInput[], now),
    ): Promise<SendResult[]> => {
      const calledAt = Date.now();
      const prepared = prepareAll(calledAt);
      const ready = gather(events, prepared, undefined);
      ready.catch(() => undefined);
      const turn = previous.then(async () => {
        const items = await ready;
        const deadline = calledAt + deliveryTimeoutMs;
        const acks = await withDeadline(
          transaction.send(
            items.map((item) => item.record),
            { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) },
          ),
          deadline,
          () =>
            new SendFailedError(
              `${items.length} event(s) were not acknowledged within the delivery timeout (${deliveryTimeoutMs} ms); they may have been written, and are committed with the transaction if it commits`,
              items.map((item) => item.id),
              1,
              new InletError(InletErrorCode.timeout, 'no answer from Kafka within the delivery timeout', {
                retryable: true,
              }),
              'delivery-timeout',
            ),
        );
        return items.map((item, index) => {
          const ack = acks[index] as RecordAck;
          return {
            id: item.id,
            type: item.type,
            topic: ack.topic,
            partition: ack.partition,
            offset: ack.offset,
          };
        });
      });
      previous = turn.catch(() => undefined);
      return turn;
    };
    return {
      async send(topic, event) {
        const [result] = await sendInOrder(topic, [event as EventInput]);
        return result as SendResult;
      },
      sendBatch: (topic, events) => sendInOrder(topic, events as readonly EventInput[]),
      async sendTombstone(topic, key, tombstone = {}) {
        const [result] = await sendInOrder(topic, [tombstone], (now) => {
          try {
            return {
              items: [prepareTombstone(topic, key, tombstone, now)],
              indexes: [0],
              failures: [],
              waits: false,
            };
          } catch (error) {
            if (!InletError.is(error)) throw error;
            return { items: [], indexes: [], failures: [{ index: 0, error }], waits: false };
          }
        });
        return result as SendResult;
      },
      sendOffsets: (groupId, offsets) => transaction.sendOffsets(groupId, offsets),
    };
  }

  /** One record: checked and prepared by `prepareRecord`, then sent like `send` sends an event. */
  function sendOne(
    topic: TopicDefinition,
    prepareRecord: (now: number) => Prepared,
    sendOptions: ProducerSendOptions,
  ): Promise<SendResult> {
    const calledAt = Date.now();
    let prepared: Prepared;
    try {
      checkOpen(false);
      prepared = prepareRecord(calledAt);
    } catch (error) {
      if (InletError.is(error) && error.code !== InletErrorCode.closed) refused += 1;
      return Promise.reject(error);
    }
    const deadline = calledAt + deliveryTimeoutMs;
    const topicWait = topicReady(topic.name, deadline);
    // The common case stays synchronous up to the one promise the caller awaits: a known
    // topic, a schema id already cached, nobody waiting ahead, and room in the buffer.
    if (
      topicWait === undefined &&
      !(prepared instanceof Promise) &&
      intake.idle &&
      sender.tryReserve(1, prepared.bytes)
    ) {
      return acceptOne(prepared, calledAt);
    }
    const ready = Promise.all([prepared, topicWait]).then(
      ([item]) => [item],
      (error: unknown) => {
        refused += 1;
        throw error;
      },
    );
    return new Promise<SendResult>((resolve, reject) => {
      intake.add({
        prepared: ready,
        deadline,
        signal: sendOptions.signal,
        accept: ([item]) => acceptOne(item as PreparedRecord, calledAt).then(resolve, reject),
        refuse: reject,
      });
    });
  }

  const producer: InletProducer = {
    send: (topic, event, sendOptions = {}) =>
      sendOne(topic, (now) => prepare(topic, event as EventInput, now), sendOptions),

    sendTombstone: (topic, key, tombstone = {}, sendOptions = {}) =>
      sendOne(topic, (now) => prepareTombstone(topic, key, tombstone, now), sendOptions),

    async sendBatch(topic, events, sendOptions = {}) {
      checkOpen(false);
      if (events.length === 0) return [];
      const calledAt = Date.now();
      const inputs = events as readonly EventInput[];
      const prepared = prepareEach(topic, inputs, calledAt);
      if (prepared.failures.length > 0 && !prepared.waits) {
        refused += inputs.length;
        throw new BatchRefusedError(prepared.failures, inputs.length);
      }
      const deadline = calledAt + deliveryTimeoutMs;
      const topicWait = topicReady(topic.name, deadline);
      if (topicWait === undefined && !prepared.waits && intake.idle) {
        const items = prepared.items as PreparedRecord[];
        const bytes = items.reduce((sum, item) => sum + item.bytes, 0);
        if (sender.tryReserve(items.length, bytes)) return settle(accept(items, calledAt));
      }
      topicWait?.catch(() => undefined);
      const outcome = await new Promise<SendOutcome>((resolve, reject) => {
        intake.add({
          prepared: gather(inputs, prepared, topicWait),
          deadline,
          signal: sendOptions.signal,
          accept: (items) => resolve(accept(items, calledAt)),
          refuse: reject,
        });
      });
      return settle(outcome);
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
        const gaveUp = whenAborted(signal);
        // Past the signal nothing is waited for: what is left fails, the transport closes in the
        // background, and its errors are logged rather than left unhandled.
        const untilGaveUp = <T>(work: Promise<T>) => Promise.race([work, gaveUp.fired]);
        const giveUp = () => {
          const error = closedError('producer');
          intake.abort(error);
          sender.abort(error);
        };
        void gaveUp.fired.then(giveUp);
        try {
          await untilGaveUp(intake.drained());
          sender.close();
          await untilGaveUp(sender.flush());
          await untilGaveUp(transactions);
        } finally {
          const shutdown = (async () => {
            await transportProducer.close();
            if (ownsTransport) await transport.close();
          })().catch((error: unknown) => {
            if (signal?.aborted !== true) throw error;
            resolved.logger.warn('closing the producer transport failed', {
              error: error instanceof Error ? error.message : String(error),
            });
          });
          await untilGaveUp(shutdown);
          gaveUp.stop();
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
