import {
  type AnyEventDefinition,
  closedError,
  createKafkaJsTransport,
  decodeEventRecord,
  type IncomingBatch,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type InletEvent,
  type KafkaTransport,
  schemaIdOf,
  type TopicDefinition,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransportConsumer,
  type TransportProducer,
} from '@inlet/core';
import { type ConsumerStats, consumerChannels } from './consumer-diagnostics';
import {
  type BatchHandlerContext,
  type ConsumerOptions,
  type HandlerContext,
  type ResolvedConsumerOptions,
  resolveConsumerOptions,
  topicsByName,
} from './consumer-options';
import { deadLetterRecord } from './dead-letter';
import { KeyLanes } from './key-lanes';
import { PartitionTracker } from './partition-tracker';
import { coalescingDedupStore } from './stores/coalescing-dedup-store';
import { dedupStoreOver, MemoryDedupMarks } from './stores/memory-stores';
import type { DedupStore } from './stores/stores';

/** Throw this from a handler to dead-letter the event at once, without retries. */
export class UnrecoverableEventError extends InletError {
  override readonly name: string = 'UnrecoverableEventError';

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(InletErrorCode.handlerFailed, message, { ...options, retryable: false });
  }
}

export interface InletConsumer {
  /** Joins the group and starts handling. */
  start(): Promise<void>;
  stats(): ConsumerStats;
  /**
   * Stops fetching, lets work in flight finish (its signal fires after `drainTimeoutMs`),
   * commits what is done, leaves the group. Safe to call twice.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface WorkItem {
  readonly epoch: number;
  readonly partitionKey: string;
  readonly record: IncomingRecord;
  readonly offset: number;
  readonly event: InletEvent | undefined;
  readonly definition: AnyEventDefinition | undefined;
  readonly decodeError: InletError | undefined;
  /** The group-namespaced dedup key ('' when the record did not decode). */
  readonly dedupKey: string;
  readonly bytes: number;
}

/** A partition's batch of work, for `handleBatch` consumers. */
interface BatchWork {
  readonly epoch: number;
  readonly partitionKey: string;
  readonly items: readonly WorkItem[];
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  tracker: PartitionTracker;
  readonly controller: AbortController;
  /** Fires when the partition is revoked (after the drain deadline) or the consumer closes. */
  readonly signal: AbortSignal;
  lastCommitted: number | undefined;
}

type Outcome = 'handled' | 'duplicate' | 'stale' | 'dead-lettered' | 'abandoned';

function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function entityKeyText(key: string | Uint8Array | Buffer): string {
  return typeof key === 'string' ? key : Buffer.from(key).toString('hex');
}

function toInletError(error: unknown): InletError {
  if (InletError.is(error)) return error;
  return new InletError(
    InletErrorCode.handlerFailed,
    error instanceof Error ? error.message : String(error),
    {
      cause: error,
      retryable: true,
    },
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Creates a consumer that turns at-least-once delivery into effects that happen once, in order
 * per entity: events of one key are handled one at a time in offset order while different keys
 * run concurrently; duplicates within the dedup window are skipped; failures are retried, then
 * dead-lettered; an offset is committed only once it and everything before it are done.
 */
export function createConsumer<const TTopics extends readonly TopicDefinition[], TTransaction = never>(
  options: ConsumerOptions<TTopics, TTransaction>,
): InletConsumer {
  const settings: ResolvedConsumerOptions = resolveConsumerOptions(options);
  const { groupId, logger } = settings;
  const topics = topicsByName(options.topics);
  const ownsTransport = options.transport === undefined;
  const transport: KafkaTransport =
    options.transport ??
    createKafkaJsTransport({ ...options.connection, brokers: options.brokers as readonly string[], logger });
  const dedupDisabled = options.dedup === false;
  const ownsDedupStore =
    !dedupDisabled && options.transactionalDedup === undefined && options.dedup?.store === undefined;
  // A store given by the user may be remote: coalesce its calls. The in-memory default is called
  // synchronously on the per-event path (`localMarks`), without a promise per call.
  const localMarks = ownsDedupStore ? new MemoryDedupMarks() : undefined;
  const dedupStore: DedupStore | undefined =
    dedupDisabled || options.transactionalDedup !== undefined
      ? undefined
      : localMarks !== undefined
        ? dedupStoreOver(localMarks)
        : coalescingDedupStore((options.dedup as { readonly store: DedupStore }).store);
  const versionStore = options.versionGate?.store;

  const counters = { handled: 0, duplicates: 0, stale: 0, retries: 0, deadLettered: 0, rebalances: 0 };
  const partitions = new Map<string, PartitionState>();
  const inProgress = new Map<string, (() => void)[]>();
  let epoch = 0;
  let inFlightEvents = 0;
  let inFlightBytes = 0;
  let pausedForBackpressure = false;
  const roomWaiters: (() => void)[] = [];
  let consumer: TransportConsumer | undefined;
  let deadLetterProducer: TransportProducer | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();
  let started: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const closingController = new AbortController();

  const eventLanes = new KeyLanes<WorkItem>(settings.maxConcurrency, (item) => runEvent(item));
  const batchLanes = new KeyLanes<BatchWork>(settings.maxConcurrency, (work) => runBatch(work));

  // ---- bookkeeping -------------------------------------------------------------------------

  function stateFor(topic: string, partition: number): PartitionState {
    const key = partitionKeyOf(topic, partition);
    let state = partitions.get(key);
    if (state === undefined) {
      const controller = new AbortController();
      state = {
        topic,
        partition,
        tracker: new PartitionTracker(),
        controller,
        signal: AbortSignal.any([controller.signal, closingController.signal]),
        lastCommitted: undefined,
      };
      partitions.set(key, state);
    }
    return state;
  }

  function overLimit(): boolean {
    return inFlightEvents > settings.maxInFlightEvents || inFlightBytes > settings.maxInFlightBytes;
  }

  function release(item: WorkItem): void {
    inFlightEvents -= 1;
    inFlightBytes -= item.bytes;
    if (!overLimit() && roomWaiters.length > 0) for (const wake of roomWaiters.splice(0)) wake();
    if (
      pausedForBackpressure &&
      inFlightEvents <= settings.maxInFlightEvents / 2 &&
      inFlightBytes <= settings.maxInFlightBytes / 2
    ) {
      pausedForBackpressure = false;
      if (closing === undefined && consumer !== undefined) consumer.resume(consumer.assignment());
    }
  }

  // Holds a batch's delivery (so its partition fetches no more) until handlers catch up,
  // heartbeating meanwhile so slow handlers do not cost the membership.
  async function waitForRoom(controls: { heartbeat(): Promise<void>; isStale(): boolean }): Promise<void> {
    while (overLimit() && closing === undefined && !controls.isStale()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await controls.heartbeat().catch(() => undefined);
    }
  }

  function complete(item: WorkItem): void {
    release(item);
    if (item.epoch !== epoch) return;
    partitions.get(item.partitionKey)?.tracker.complete(item.offset);
  }

  function signalFor(item: { readonly partitionKey: string }): AbortSignal {
    return partitions.get(item.partitionKey)?.signal ?? closingController.signal;
  }

  // ---- decoding ----------------------------------------------------------------------------

  async function resolveWriterSchemas(records: readonly IncomingRecord[]): Promise<void> {
    const registry = options.registry;
    if (registry === undefined) return;
    for (const record of records) {
      const id = schemaIdOf(record);
      if (id === undefined || registry.cachedWriterCodecFor(id) !== undefined) continue;
      try {
        await registry.writerCodecFor(id);
      } catch (error) {
        // An unknown id is the record's problem (it is dead-lettered when decoded); an outage is
        // not: reject the batch so the transport delivers it again later.
        if (InletError.hasCode(error, InletErrorCode.unknownSchemaId)) continue;
        throw error;
      }
    }
  }

  const decodeOptions = {
    writerCodecForSchemaId: (id: number) => options.registry?.cachedWriterCodecFor(id),
  };

  function workItem(record: IncomingRecord, partitionKey: string): WorkItem {
    const topic = topics.get(record.topic) as TopicDefinition;
    const bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
    const offset = Number(record.offset);
    try {
      const event = decodeEventRecord(record, topic, decodeOptions);
      return {
        epoch,
        partitionKey,
        record,
        offset,
        event,
        definition: topic.find(event.type, event.version) ?? topic.latest(event.type),
        decodeError: undefined,
        dedupKey: `${groupId}\u0000${settings.dedupKey(event)}`,
        bytes,
      };
    } catch (error) {
      const decodeError = toInletError(error);
      return {
        epoch,
        partitionKey,
        record,
        offset,
        event: undefined,
        definition: undefined,
        decodeError,
        dedupKey: '',
        bytes,
      };
    }
  }

  // ---- receiving batches -------------------------------------------------------------------

  async function onBatch(
    batch: IncomingBatch,
    controls: { heartbeat(): Promise<void>; isStale(): boolean },
  ): Promise<void> {
    if (closing !== undefined || controls.isStale() || batch.records.length === 0) return;
    await resolveWriterSchemas(batch.records);
    if (controls.isStale()) return;
    const state = stateFor(batch.topic, batch.partition);
    const partitionKey = partitionKeyOf(batch.topic, batch.partition);
    const items: WorkItem[] = [];
    for (const record of batch.records) {
      const item = workItem(record, partitionKey);
      state.tracker.add(item.offset);
      inFlightEvents += 1;
      inFlightBytes += item.bytes;
      items.push(item);
    }
    if (options.handleBatch !== undefined) {
      batchLanes.push(partitionKey, { epoch, partitionKey, items });
    } else {
      for (const item of items) {
        const laneKey =
          item.event !== undefined
            ? `${batch.topic}\u0000${entityKeyText(item.event.key)}`
            : `${batch.topic}\u0000raw:${item.record.key?.toString('hex') ?? `offset:${item.offset}`}`;
        eventLanes.push(laneKey, item);
      }
    }
    if (!pausedForBackpressure && overLimit()) {
      pausedForBackpressure = true;
      consumer?.pause(consumer.assignment());
    }
    await waitForRoom(controls);
  }

  function onAssigned(assignment: readonly TopicPartition[]): void {
    // After any rebalance the transport delivers every owned partition again from its committed
    // offset: drop what is queued (it will come again) and start the trackers afresh. Work in
    // flight finishes under its old epoch and commits nothing.
    counters.rebalances += 1;
    epoch += 1;
    const owned = new Set(assignment.map(({ topic, partition }) => partitionKeyOf(topic, partition)));
    const dropped = [
      ...eventLanes.drop((item) => item.epoch !== epoch),
      ...batchLanes.drop((work) => work.epoch !== epoch).flatMap((work) => work.items),
    ];
    for (const item of dropped) release(item);
    for (const [key, state] of partitions) {
      if (!owned.has(key)) {
        const revoked = state.controller;
        setTimeout(() => revoked.abort(closedError('partition (revoked)')), settings.drainTimeoutMs).unref();
        partitions.delete(key);
      } else {
        state.tracker = new PartitionTracker();
        state.lastCommitted = undefined;
      }
    }
    for (const { topic, partition } of assignment) stateFor(topic, partition);
    logger.info('consumer assignment', { groupId, partitions: assignment.length, epoch });
  }

  // ---- handling ------------------------------------------------------------------------------

  async function exclusive<T>(dedupKey: string, work: () => Promise<T>): Promise<T> {
    // Copies of one event never run concurrently, even across a rebalance. Waiting copies queue
    // behind the running one; no promise is made unless somebody has to wait.
    while (inProgress.has(dedupKey)) {
      await new Promise<void>((resolve) => (inProgress.get(dedupKey) as (() => void)[]).push(resolve));
    }
    inProgress.set(dedupKey, []);
    try {
      return await work();
    } finally {
      const waiting = inProgress.get(dedupKey) ?? [];
      inProgress.delete(dedupKey);
      for (const wake of waiting) wake();
    }
  }

  function versionKeyOf(item: WorkItem): string {
    return `${groupId}\u0000${item.record.topic}\u0000${entityKeyText((item.event as InletEvent).key)}`;
  }

  async function isStale(item: WorkItem): Promise<boolean> {
    const version = item.event?.entityVersion;
    if (versionStore === undefined || version === undefined) return false;
    const [latest] = await versionStore.latest([versionKeyOf(item)]);
    return latest !== undefined && version <= latest;
  }

  function backoff(attempt: number): number {
    const delay = Math.min(settings.maxDelayMs, settings.minDelayMs * 2 ** (attempt - 1));
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  function publish(channel: keyof typeof consumerChannels, item: WorkItem, started: number): void {
    if (!consumerChannels[channel].hasSubscribers) return;
    consumerChannels[channel].publish({
      groupId,
      topic: item.record.topic,
      partition: item.record.partition,
      offset: item.record.offset,
      eventId: item.event?.id,
      freshnessMs: item.event === undefined ? undefined : Date.now() - item.event.eventTime.getTime(),
      handlingMs: performance.now() - started,
    });
  }

  const deadLetterTopics = new Map<string, Promise<void>>();

  // Dead-letter topics are made on first use, with as many partitions as their source topic.
  function ensureDeadLetterTopic(sourceTopic: string, deadLetterTopic: string): Promise<void> {
    let ready = deadLetterTopics.get(deadLetterTopic);
    if (ready === undefined) {
      const admin = transport.admin();
      ready = admin
        .partitionCount(sourceTopic)
        .then((partitions) => admin.createTopics([{ topic: deadLetterTopic, partitions }]))
        .then(() => undefined);
      ready.catch(() => deadLetterTopics.delete(deadLetterTopic));
      deadLetterTopics.set(deadLetterTopic, ready);
    }
    return ready;
  }

  async function deadLetter(
    item: WorkItem,
    error: InletError,
    attempts: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    const topicOf = settings.deadLetterTopic;
    if (topicOf === undefined) return false;
    const deadLetterTopic = topicOf(item.record.topic);
    const contract = item.definition?.contract;
    let redactedValue: Buffer | undefined;
    if (item.event !== undefined && contract !== undefined && settings.redactDeadLetters !== false) {
      redactedValue = Buffer.from(JSON.stringify(contract.redact(item.event.data)));
    }
    const record = deadLetterRecord(item.record, {
      deadLetterTopic,
      groupId,
      error,
      attempts,
      ...(redactedValue === undefined ? {} : { redactedValue }),
    });
    if (redactedValue !== undefined)
      (record.headers as Record<string, string>)['content-type'] = 'application/json';
    deadLetterProducer ??= transport.producer({ idempotent: true });
    for (let attempt = 1; !signal.aborted; attempt += 1) {
      try {
        await ensureDeadLetterTopic(item.record.topic, deadLetterTopic);
        await deadLetterProducer.send([record]);
        counters.deadLettered += 1;
        logger.warn('event dead-lettered', {
          groupId,
          topic: item.record.topic,
          partition: item.record.partition,
          offset: item.record.offset,
          deadLetterTopic,
          code: error.code,
        });
        if (consumerChannels.deadLettered.hasSubscribers) {
          consumerChannels.deadLettered.publish({
            groupId,
            topic: item.record.topic,
            partition: item.record.partition,
            offset: item.record.offset,
            deadLetterTopic,
            error,
            attempts,
          });
        }
        return true;
      } catch (sendError) {
        logger.error('dead-lettering failed; retrying', {
          deadLetterTopic,
          error: toInletError(sendError).message,
        });
        await sleep(backoff(Math.min(attempt, 10)), signal);
      }
    }
    return false;
  }

  /** Runs `attemptOnce` with retries; returns the final error, or undefined when it succeeded. */
  async function withRetries(
    attemptOnce: (attempt: number) => Promise<void>,
    signal: AbortSignal,
  ): Promise<{ error: InletError; attempts: number } | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await attemptOnce(attempt);
        return undefined;
      } catch (error) {
        const failure = toInletError(error);
        const retryable = settings.isRetryable(error) && !(error instanceof UnrecoverableEventError);
        if (!retryable || attempt > settings.retries || signal.aborted)
          return { error: failure, attempts: attempt };
        counters.retries += 1;
        logger.warn('handler failed; retrying', {
          groupId,
          attempt,
          code: failure.code,
          error: failure.message,
        });
        await sleep(backoff(attempt), signal);
        if (signal.aborted) return { error: failure, attempts: attempt };
      }
    }
  }

  async function handleOne(item: WorkItem, signal: AbortSignal): Promise<Outcome> {
    const event = item.event as InletEvent;
    const handle = options.handle as NonNullable<typeof options.handle>;
    const context = (attempt: number, transaction: TTransaction | undefined): HandlerContext<TTransaction> =>
      ({
        topic: item.record.topic,
        partition: item.record.partition,
        offset: item.record.offset,
        attempt,
        signal,
        transaction,
      }) as HandlerContext<TTransaction>;
    return exclusive(item.dedupKey, async () => {
      const seen =
        localMarks !== undefined
          ? localMarks.has(item.dedupKey)
          : dedupStore !== undefined && (await dedupStore.seen([item.dedupKey]))[0] === true;
      if (seen) return 'duplicate';
      if (await isStale(item)) return 'stale';
      let duplicate = false;
      const failure = await withRetries(async (attempt) => {
        if (options.transactionalDedup !== undefined) {
          const result = await options.transactionalDedup.run(
            item.dedupKey,
            settings.dedupWindowMs,
            (transaction) => handle(event as never, context(attempt, transaction)),
          );
          duplicate = result === 'duplicate';
        } else {
          await handle(event as never, context(attempt, undefined));
        }
      }, signal);
      if (failure !== undefined) {
        if (signal.aborted) return 'abandoned';
        return (await deadLetter(item, failure.error, failure.attempts, signal))
          ? 'dead-lettered'
          : 'abandoned';
      }
      if (duplicate) return 'duplicate';
      if (localMarks !== undefined) localMarks.mark(item.dedupKey, settings.dedupWindowMs);
      else await dedupStore?.mark([item.dedupKey], settings.dedupWindowMs);
      if (versionStore !== undefined && event.entityVersion !== undefined) {
        await versionStore.record([{ key: versionKeyOf(item), version: event.entityVersion }]);
      }
      return 'handled';
    });
  }

  function count(outcome: Outcome, item: WorkItem, started: number): void {
    if (outcome === 'handled') {
      counters.handled += 1;
      publish('handled', item, started);
    } else if (outcome === 'duplicate') {
      counters.duplicates += 1;
      publish('duplicate', item, started);
    } else if (outcome === 'stale') {
      counters.stale += 1;
      publish('stale', item, started);
    }
  }

  async function runEvent(item: WorkItem): Promise<void> {
    const started = performance.now();
    const signal = signalFor(item);
    let outcome: Outcome;
    try {
      if (item.decodeError !== undefined) {
        outcome = (await deadLetter(item, item.decodeError, 1, signal)) ? 'dead-lettered' : 'abandoned';
      } else {
        outcome = await handleOne(item, signal);
      }
    } catch (error) {
      // A store or the dead-letter topic failing past its retries: the event stays unfinished
      // (uncommitted) and is delivered again after the next rebalance or restart.
      logger.error('event could not be finished', {
        groupId,
        offset: item.record.offset,
        error: toInletError(error).message,
      });
      outcome = 'abandoned';
    }
    count(outcome, item, started);
    if (outcome === 'abandoned') release(item);
    else complete(item);
  }

  async function runBatch(work: BatchWork): Promise<void> {
    const started = performance.now();
    const signal = signalFor(work);
    const handleBatch = options.handleBatch as NonNullable<typeof options.handleBatch>;
    const pending: WorkItem[] = [];
    for (const item of work.items) {
      if (item.decodeError !== undefined) {
        const outcome: Outcome = (await deadLetter(item, item.decodeError, 1, signal))
          ? 'dead-lettered'
          : 'abandoned';
        if (outcome === 'abandoned') release(item);
        else complete(item);
        continue;
      }
      pending.push(item);
    }
    const seen =
      dedupStore === undefined
        ? pending.map(() => false)
        : await dedupStore.seen(pending.map((item) => item.dedupKey));
    const fresh: WorkItem[] = [];
    for (const [index, item] of pending.entries()) {
      if (seen[index]) {
        count('duplicate', item, started);
        complete(item);
      } else if (await isStale(item)) {
        count('stale', item, started);
        complete(item);
      } else {
        fresh.push(item);
      }
    }
    const runGroup = async (group: readonly WorkItem[]) =>
      withRetries(async (attempt) => {
        const events = group.map((item) => item.event as InletEvent);
        const context = {
          topic: group[0]?.record.topic as string,
          partition: group[0]?.record.partition as number,
          offsets: group.map((item) => item.record.offset),
          attempt,
          signal,
          transaction: undefined,
        } as unknown as BatchHandlerContext<TTransaction>;
        await handleBatch(events as never, context);
      }, signal);
    const finish = async (group: readonly WorkItem[]) => {
      await dedupStore?.mark(
        group.map((item) => item.dedupKey),
        settings.dedupWindowMs,
      );
      if (versionStore !== undefined) {
        const entries = group.flatMap((item) =>
          item.event?.entityVersion === undefined
            ? []
            : [{ key: versionKeyOf(item), version: item.event.entityVersion }],
        );
        if (entries.length > 0) await versionStore.record(entries);
      }
      for (const item of group) {
        count('handled', item, started);
        complete(item);
      }
    };
    if (fresh.length === 0) return;
    const failure = await runGroup(fresh);
    if (failure === undefined) {
      await finish(fresh);
      return;
    }
    if (signal.aborted) {
      for (const item of fresh) release(item);
      return;
    }
    // The batch keeps failing: find the events that fail on their own and dead-letter only them.
    for (const item of fresh) {
      const alone = await runGroup([item]);
      if (alone === undefined) await finish([item]);
      else if (!signal.aborted && (await deadLetter(item, alone.error, alone.attempts, signal)))
        complete(item);
      else release(item);
    }
  }

  // ---- committing ----------------------------------------------------------------------------

  function commitNow(): Promise<void> {
    committing = committing.then(async () => {
      if (consumer === undefined) return;
      const offsets: TopicPartitionOffset[] = [];
      for (const state of partitions.values()) {
        const committable = state.tracker.committable();
        if (committable === undefined || committable === state.lastCommitted) continue;
        offsets.push({ topic: state.topic, partition: state.partition, offset: String(committable) });
      }
      if (offsets.length === 0) return;
      const committedEpoch = epoch;
      try {
        await consumer.commit(offsets);
        if (committedEpoch === epoch) {
          for (const { topic, partition, offset } of offsets) {
            const state = partitions.get(partitionKeyOf(topic, partition));
            if (state !== undefined) state.lastCommitted = Number(offset);
          }
        }
        if (consumerChannels.committed.hasSubscribers)
          consumerChannels.committed.publish({ groupId, offsets });
      } catch (error) {
        // A rebalance got there first: the next owner starts from the last commit that landed.
        logger.warn('commit failed', { groupId, error: toInletError(error).message });
      }
    });
    return committing;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  async function drain(deadlineMs: number): Promise<void> {
    const idle = Promise.all([eventLanes.idle(), batchLanes.idle()]);
    const deadline = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), deadlineMs).unref(),
    );
    if ((await Promise.race([idle, deadline])) !== 'timeout') return;
    closingController.abort(closedError('consumer'));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, Math.min(2_000, deadlineMs)).unref());
    await Promise.race([idle, grace]);
  }

  const api: InletConsumer = {
    start() {
      if (closing !== undefined) return Promise.reject(closedError('consumer'));
      started ??= (async () => {
        const transportConsumer = transport.consumer({
          groupId,
          ...(options.autoOffsetReset === undefined ? {} : { autoOffsetReset: options.autoOffsetReset }),
          ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
          ...(options.heartbeatIntervalMs === undefined
            ? {}
            : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
          ...(options.maxBytesPerPartition === undefined
            ? {}
            : { maxBytesPerPartition: options.maxBytesPerPartition }),
          partitionsConsumedConcurrently: Math.min(8, settings.maxConcurrency),
        });
        consumer = transportConsumer;
        await transportConsumer.subscribe([...topics.keys()]);
        await transportConsumer.run({
          onBatch,
          onAssigned,
          onError: (error, fatal) =>
            logger.error('consumer transport error', {
              groupId,
              fatal,
              code: error.code,
              error: error.message,
            }),
        });
        commitTimer = setInterval(() => void commitNow(), settings.commitIntervalMs);
        commitTimer.unref();
      })();
      return started;
    },

    stats() {
      const uncommitted: Record<string, number> = {};
      for (const state of partitions.values())
        uncommitted[`${state.topic}/${state.partition}`] = state.tracker.pending();
      return { ...counters, inFlight: inFlightEvents, inFlightBytes, uncommitted };
    },

    close() {
      closing ??= (async () => {
        clearInterval(commitTimer);
        try {
          await started?.catch(() => undefined);
          if (consumer !== undefined) consumer.pause(consumer.assignment());
          await drain(settings.drainTimeoutMs);
          await commitNow();
          await consumer?.close();
        } finally {
          await deadLetterProducer?.close().catch(() => undefined);
          if (ownsDedupStore) await dedupStore?.close();
          if (ownsTransport) await transport.close();
        }
      })();
      return closing;
    },

    [Symbol.asyncDispose]() {
      return api.close();
    },
  };
  return api;
}
