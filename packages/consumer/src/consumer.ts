import {
  type AnyEventDefinition,
  backoffDelayMs,
  closedError,
  decodeEventRecord,
  entityKeyId,
  type IncomingBatch,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type InletEvent,
  type KafkaTransport,
  schemaIdOf,
  sleep,
  type TopicDefinition,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransportConsumer,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { type ConsumerState, type ConsumerStats, consumerChannels } from './consumer-diagnostics';
import {
  type BatchHandlerContext,
  type ConsumerOptions,
  type HandlerContext,
  type ResolvedConsumerOptions,
  resolveConsumerOptions,
  topicsByName,
} from './consumer-options';
import { DeadLetterWriter } from './dead-letter-writer';
import { KeyLanes } from './key-lanes';
import { type CheckOutcome, OffsetOrderChecks } from './offset-order-checks';
import { PartitionTracker } from './partition-tracker';
import { AbandonedWork, ConsumerFailedError, endsRetries, ServiceCalls, toInletError } from './retries';
import { coalescingDedupStore, coalescingVersionStore } from './stores/coalescing-dedup-store';
import { dedupStoreOver, MemoryDedupMarks } from './stores/memory-stores';
import type { DedupStore, TransactionalDedup, VersionStore } from './stores/stores';

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
   * Resolves once the consumer has stopped and let go of everything: after `close()`, or after
   * it stopped by itself because something failed past its retries, with that error (then
   * `stats().state` is `failed`, and nothing was committed past the event concerned).
   */
  stopped(): Promise<InletError | undefined>;
  /**
   * Stops fetching, drops queued work (it is delivered again to the next owner), lets running
   * handlers finish (their signal fires after `drainTimeoutMs`), commits what is done, leaves the
   * group. Resolves only once no handler is running; none starts after `close()` is called.
   * Safe to call twice.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface WorkItem {
  readonly epoch: number;
  readonly partitionKey: string;
  /** Records with the same Kafka key, whoever produced them, share a lane. */
  readonly laneKey: string;
  readonly record: IncomingRecord;
  readonly offset: number;
  readonly event: InletEvent | undefined;
  readonly definition: AnyEventDefinition | undefined;
  readonly decodeError: InletError | undefined;
  /** The group-namespaced dedup key ('' when the record did not decode). */
  readonly dedupKey: string;
  /** The version-store key of the event's entity, when the gate is on and the event has a version. */
  readonly versionKey: string | undefined;
  readonly entityVersion: number | undefined;
  readonly bytes: number;
  /** Counted and completed (or released): nothing more happens to it. */
  settled: boolean;
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

interface HandlerFailure {
  readonly error: InletError;
  readonly attempts: number;
}

function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function laneKeyOf(record: IncomingRecord): string {
  // The key's bytes, one character per byte: equal exactly when the bytes are equal.
  return record.key === null
    ? `${record.topic}\u0000n${record.offset}`
    : `${record.topic}\u0000k${record.key.toString('latin1')}`;
}

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
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
  const transactional = options.transactionalDedup as TransactionalDedup<TTransaction> | undefined;
  const dedupDisabled = options.dedup === false;
  const userDedupStore = options.dedup === false ? undefined : options.dedup?.store;
  const ownsDedupStore = !dedupDisabled && transactional === undefined && userDedupStore === undefined;
  // A store given by the user may be remote: coalesce its calls. The in-memory default is called
  // synchronously on the per-event path (`localMarks`), without a promise per call.
  const localMarks = ownsDedupStore ? new MemoryDedupMarks() : undefined;
  const dedupStore: DedupStore | undefined =
    localMarks !== undefined
      ? dedupStoreOver(localMarks)
      : userDedupStore === undefined
        ? undefined
        : coalescingDedupStore(userDedupStore);
  const versionStore: VersionStore | undefined =
    options.versionGate === undefined ? undefined : coalescingVersionStore(options.versionGate.store);
  const handle = options.handle;
  const handleBatch = options.handleBatch;

  const counters = {
    handled: 0,
    duplicates: 0,
    stale: 0,
    retries: 0,
    serviceRetries: 0,
    deadLettered: 0,
    rebalances: 0,
  };
  const service = new ServiceCalls({
    groupId,
    retries: settings.serviceRetries,
    delays: settings.serviceRetryDelays,
    logger,
    onRetry: () => {
      counters.serviceRetries += 1;
    },
  });
  const deadLetters = new DeadLetterWriter(transport, settings, service);
  const partitions = new Map<string, PartitionState>();
  const inProgress = new Map<string, (() => void)[]>();
  let epoch = 0;
  let inFlightEvents = 0;
  let inFlightBytes = 0;
  let pausedForBackpressure = false;
  const roomWaiters: (() => void)[] = [];
  let consumer: TransportConsumer | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();
  let started: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let state: ConsumerState = 'created';
  let failure: InletError | undefined;
  let markStopped: (error: InletError | undefined) => void = () => undefined;
  const stopped = new Promise<InletError | undefined>((resolve) => {
    markStopped = resolve;
  });
  const closingController = new AbortController();

  const eventLanes = new KeyLanes<WorkItem>(settings.maxConcurrency, (item) => runEvent(item));
  const batchLanes = new KeyLanes<BatchWork>(settings.maxConcurrency, (work) => runBatch(work));

  // ---- bookkeeping -------------------------------------------------------------------------

  function stateFor(topic: string, partition: number): PartitionState {
    const key = partitionKeyOf(topic, partition);
    let partitionState = partitions.get(key);
    if (partitionState === undefined) {
      const controller = new AbortController();
      partitionState = {
        topic,
        partition,
        tracker: new PartitionTracker(),
        controller,
        signal: AbortSignal.any([controller.signal, closingController.signal]),
        lastCommitted: undefined,
      };
      partitions.set(key, partitionState);
    }
    return partitionState;
  }

  function overLimit(): boolean {
    return inFlightEvents > settings.maxInFlightEvents || inFlightBytes > settings.maxInFlightBytes;
  }

  function release(item: WorkItem): void {
    if (item.settled) return;
    item.settled = true;
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

  function publish(channel: 'handled' | 'duplicate' | 'stale', item: WorkItem, startedAt: number): void {
    if (!consumerChannels[channel].hasSubscribers) return;
    consumerChannels[channel].publish({
      groupId,
      topic: item.record.topic,
      partition: item.record.partition,
      offset: item.record.offset,
      eventId: item.event?.id,
      freshnessMs: item.event === undefined ? undefined : Date.now() - item.event.eventTime.getTime(),
      handlingMs: performance.now() - startedAt,
    });
  }

  /** Counts an item's outcome and marks its offset done (or, when abandoned, only lets it go). */
  function settle(item: WorkItem, outcome: Outcome, startedAt: number): void {
    if (item.settled) return;
    if (outcome === 'handled') {
      counters.handled += 1;
      publish('handled', item, startedAt);
    } else if (outcome === 'duplicate') {
      counters.duplicates += 1;
      publish('duplicate', item, startedAt);
    } else if (outcome === 'stale') {
      counters.stale += 1;
      publish('stale', item, startedAt);
    } else if (outcome === 'dead-lettered') {
      counters.deadLettered += 1;
    }
    const sameEpoch = item.epoch === epoch;
    release(item);
    if (outcome !== 'abandoned' && sameEpoch)
      partitions.get(item.partitionKey)?.tracker.complete(item.offset);
  }

  function signalFor(item: { readonly partitionKey: string }): AbortSignal {
    return partitions.get(item.partitionKey)?.signal ?? closingController.signal;
  }

  // ---- failing -------------------------------------------------------------------------------

  /** Stops the consumer because something failed past its retries; reported, never silent. */
  function fail(error: InletError): void {
    if (failure !== undefined) return;
    if (closing !== undefined && state !== 'running') {
      // Closing already: the work concerned stays uncommitted; say so and let the close finish.
      logger.error('consumer failure while closing', { groupId, code: error.code, error: error.message });
      return;
    }
    failure = error;
    state = 'failed';
    logger.error('consumer stopped', { groupId, code: error.code, error: error.message });
    if (consumerChannels.failed.hasSubscribers) consumerChannels.failed.publish({ groupId, error });
    void shutdown();
  }

  /** What a thrown error means for the work that threw it. */
  function thrownOutcome(error: unknown): Outcome {
    if (error instanceof AbandonedWork) return 'abandoned';
    fail(
      error instanceof ConsumerFailedError
        ? error
        : new ConsumerFailedError(
            InletErrorCode.handlerFailed,
            `consumer failed: ${toInletError(error).message}`,
            {
              cause: error,
            },
          ),
    );
    return 'abandoned';
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

  const registry = options.registry;
  const decodeOptions =
    registry === undefined
      ? {}
      : { writerCodecForSchemaId: (id: number) => registry.cachedWriterCodecFor(id) };

  function workItem(record: IncomingRecord, partitionKey: string): WorkItem {
    const topic = topics.get(record.topic) as TopicDefinition;
    let event: InletEvent | undefined;
    let decodeError: InletError | undefined;
    try {
      event = decodeEventRecord(record, topic, decodeOptions);
    } catch (error) {
      decodeError = toInletError(error);
    }
    const entityVersion = event?.entityVersion;
    return {
      epoch,
      partitionKey,
      laneKey: laneKeyOf(record),
      record,
      offset: Number(record.offset),
      event,
      definition:
        event === undefined ? undefined : (topic.find(event.type, event.version) ?? topic.latest(event.type)),
      decodeError,
      dedupKey: event === undefined ? '' : `${groupId}\u0000${settings.dedupKey(event)}`,
      versionKey:
        event === undefined || versionStore === undefined || entityVersion === undefined
          ? undefined
          : `${groupId}\u0000${record.topic}\u0000${entityKeyId(event.key)}`,
      entityVersion,
      bytes: (record.key?.length ?? 0) + (record.value?.length ?? 0),
      settled: false,
    };
  }

  // ---- receiving batches -------------------------------------------------------------------

  async function onBatch(
    batch: IncomingBatch,
    controls: { heartbeat(): Promise<void>; isStale(): boolean },
  ): Promise<void> {
    if (closing !== undefined || controls.isStale() || batch.records.length === 0) return;
    await resolveWriterSchemas(batch.records);
    if (closing !== undefined || controls.isStale()) return;
    const partitionState = stateFor(batch.topic, batch.partition);
    const partitionKey = partitionKeyOf(batch.topic, batch.partition);
    const items: WorkItem[] = [];
    for (const record of batch.records) {
      const item = workItem(record, partitionKey);
      partitionState.tracker.add(item.offset);
      inFlightEvents += 1;
      inFlightBytes += item.bytes;
      items.push(item);
    }
    if (handleBatch !== undefined) {
      if (!batchLanes.push(partitionKey, { epoch, partitionKey, items }))
        for (const item of items) release(item);
    } else {
      for (const item of items) if (!eventLanes.push(item.laneKey, item)) release(item);
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
    for (const [key, partitionState] of partitions) {
      if (!owned.has(key)) {
        const revoked = partitionState.controller;
        setTimeout(() => revoked.abort(closedError('partition (revoked)')), settings.drainTimeoutMs).unref();
        partitions.delete(key);
      } else {
        partitionState.tracker = new PartitionTracker();
        partitionState.lastCommitted = undefined;
      }
    }
    for (const { topic, partition } of assignment) stateFor(topic, partition);
    logger.info('consumer assignment', { groupId, partitions: assignment.length, epoch });
  }

  // ---- the checks before the handler ---------------------------------------------------------

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

  /** Per item: is its dedup key marked in the dedup store? */
  async function markedInStore(items: readonly WorkItem[], signal: AbortSignal): Promise<readonly boolean[]> {
    if (localMarks !== undefined) {
      const now = Date.now();
      return items.map((item) => localMarks.has(item.dedupKey, now));
    }
    const store = dedupStore;
    if (store === undefined) return items.map(() => false);
    return service.call('dedup store', 'seen', () => store.seen(items.map((item) => item.dedupKey)), signal);
  }

  /** The stored latest version of each entity the items have a version key for. */
  async function storedLatest(
    items: readonly WorkItem[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, number | undefined>> {
    const store = versionStore;
    const keys = [
      ...new Set(items.flatMap((item) => (item.versionKey === undefined ? [] : [item.versionKey]))),
    ];
    if (store === undefined || keys.length === 0) return new Map();
    const versions = await service.call('version store', 'latest', () => store.latest(keys), signal);
    return new Map(keys.map((key, index) => [key, versions[index]]));
  }

  /** Marks the items done in the dedup store: handled ones, and stale ones (so copies are duplicates). */
  async function markDone(items: readonly WorkItem[], signal: AbortSignal): Promise<void> {
    if (items.length === 0) return;
    if (localMarks !== undefined) {
      const now = Date.now();
      for (const item of items) localMarks.mark(item.dedupKey, settings.dedupWindowMs, now);
      return;
    }
    const store = dedupStore;
    if (store === undefined) return;
    await service.call(
      'dedup store',
      'mark',
      () =>
        store.mark(
          items.map((item) => item.dedupKey),
          settings.dedupWindowMs,
        ),
      signal,
    );
  }

  async function recordVersions(items: readonly WorkItem[], signal: AbortSignal): Promise<void> {
    const store = versionStore;
    if (store === undefined) return;
    const entries = items.flatMap((item) =>
      item.versionKey === undefined || item.entityVersion === undefined
        ? []
        : [{ key: item.versionKey, version: item.entityVersion }],
    );
    if (entries.length > 0)
      await service.call('version store', 'record', () => store.record(entries), signal);
  }

  // ---- handler attempts ----------------------------------------------------------------------

  /** Runs `attemptOnce` with the handler's retries; the final failure, or undefined on success. */
  async function attemptHandler(
    attemptOnce: (attempt: number) => Promise<void>,
    signal: AbortSignal,
    where: IncomingRecord,
  ): Promise<HandlerFailure | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await attemptOnce(attempt);
        return undefined;
      } catch (error) {
        if (endsRetries(error)) throw error;
        const failed = toInletError(error);
        const retryable = settings.isRetryable(error) && !(error instanceof UnrecoverableEventError);
        if (!retryable || attempt > settings.retries || signal.aborted)
          return { error: failed, attempts: attempt };
        counters.retries += 1;
        logger.warn('handler failed; retrying', {
          groupId,
          attempt,
          code: failed.code,
          error: failed.message,
        });
        if (consumerChannels.retry.hasSubscribers) {
          consumerChannels.retry.publish({
            groupId,
            service: 'handler',
            operation: 'handle',
            attempt,
            error: failed,
            topic: where.topic,
            partition: where.partition,
            offset: where.offset,
          });
        }
        await sleep(backoffDelayMs(attempt, settings.retryDelays), signal);
        if (signal.aborted) return { error: failed, attempts: attempt };
      }
    }
  }

  /** An event that failed for good: dead-lettered, or (dead-lettering off) the consumer stops. */
  async function afterFailure(item: WorkItem, failed: HandlerFailure, signal: AbortSignal): Promise<Outcome> {
    if (signal.aborted) return 'abandoned';
    if (!deadLetters.enabled) {
      const { record } = item;
      throw new ConsumerFailedError(
        failed.error.code,
        `${record.topic}/${record.partition}@${record.offset} failed after ${failed.attempts} attempt(s) ` +
          `and dead-lettering is off: ${failed.error.message}`,
        { cause: failed.error },
      );
    }
    await deadLetters.write(item, failed.error, failed.attempts, signal);
    return 'dead-lettered';
  }

  function context(item: WorkItem, attempt: number, transaction: unknown, signal: AbortSignal) {
    return {
      topic: item.record.topic,
      partition: item.record.partition,
      offset: item.record.offset,
      attempt,
      signal,
      transaction,
    } as HandlerContext<TTransaction>;
  }

  function batchContext(
    items: readonly WorkItem[],
    attempt: number,
    transaction: unknown,
    signal: AbortSignal,
  ) {
    const first = items[0] as WorkItem;
    return {
      topic: first.record.topic,
      partition: first.record.partition,
      offsets: items.map((item) => item.record.offset),
      attempt,
      signal,
      transaction,
    } as BatchHandlerContext<TTransaction>;
  }

  /** The handler for one event: `handle`, or `handleBatch` with a batch of one. */
  function handleAlone(
    item: WorkItem,
    attempt: number,
    transaction: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    const event = item.event as never;
    if (handle !== undefined) return handle(event, context(item, attempt, transaction, signal));
    return (handleBatch as NonNullable<typeof handleBatch>)(
      [event],
      batchContext([item], attempt, transaction, signal),
    );
  }

  // ---- one event at a time -------------------------------------------------------------------

  /**
   * One decoded event through the checks and its handler, on its own: the path of `handle`, and of
   * `handleBatch` events when their batch keeps failing. `checks` carries what earlier events of
   * the same batch did.
   */
  async function processAlone(
    item: WorkItem,
    signal: AbortSignal,
    checks?: OffsetOrderChecks,
  ): Promise<Outcome> {
    if (transactional !== undefined) return processAloneTransactional(transactional, item, signal, checks);
    const gate =
      checks ??
      (item.versionKey === undefined ? undefined : new OffsetOrderChecks(await storedLatest([item], signal)));
    const marked =
      localMarks !== undefined
        ? localMarks.has(item.dedupKey)
        : (await markedInStore([item], signal))[0] === true;
    const checked: CheckOutcome =
      gate === undefined ? (marked ? 'duplicate' : 'fresh') : gate.check(item, marked);
    if (checked === 'duplicate') return 'duplicate';
    if (checked === 'stale') {
      gate?.skipped(item);
      await markDone([item], signal);
      return 'stale';
    }
    const failed = await attemptHandler(
      (attempt) => handleAlone(item, attempt, undefined, signal),
      signal,
      item.record,
    );
    if (failed !== undefined) return afterFailure(item, failed, signal);
    gate?.handled(item);
    if (localMarks !== undefined) localMarks.mark(item.dedupKey, settings.dedupWindowMs);
    else await markDone([item], signal);
    if (item.versionKey !== undefined) await recordVersions([item], signal);
    return 'handled';
  }

  async function processAloneTransactional(
    dedup: TransactionalDedup<TTransaction>,
    item: WorkItem,
    signal: AbortSignal,
    checks: OffsetOrderChecks | undefined,
  ): Promise<Outcome> {
    let outcome: 'handled' | 'stale' | 'duplicate' = 'handled';
    let handlerError: unknown;
    const failed = await attemptHandler(
      async (attempt) => {
        outcome = 'handled';
        handlerError = undefined;
        const result = await service.call(
          'transactional dedup',
          'run',
          () =>
            dedup.run(item.dedupKey, settings.dedupWindowMs, async (transaction) => {
              // The mark is in: the event is no duplicate. A stale one commits its mark alone.
              const gate =
                checks ??
                (item.versionKey === undefined
                  ? undefined
                  : new OffsetOrderChecks(await storedLatest([item], signal)));
              if (gate?.check(item, false) === 'stale') {
                outcome = 'stale';
                return;
              }
              try {
                await handleAlone(item, attempt, transaction, signal);
              } catch (error) {
                handlerError = error;
                throw error;
              }
            }),
          signal,
          (error) => handlerError !== undefined && error === handlerError,
        );
        if (result === 'duplicate') outcome = 'duplicate';
      },
      signal,
      item.record,
    );
    if (failed !== undefined) return afterFailure(item, failed, signal);
    if (outcome === 'handled') {
      checks?.handled(item);
      await recordVersions([item], signal);
    } else if (outcome === 'stale') {
      checks?.skipped(item);
    }
    return outcome;
  }

  async function runEvent(item: WorkItem): Promise<void> {
    const startedAt = performance.now();
    const signal = signalFor(item);
    let outcome: Outcome;
    try {
      if (item.decodeError !== undefined) {
        outcome = await afterFailure(item, { error: item.decodeError, attempts: 1 }, signal);
      } else {
        outcome = await exclusive(item.dedupKey, () => processAlone(item, signal));
      }
    } catch (error) {
      outcome = thrownOutcome(error);
    }
    settle(item, outcome, startedAt);
  }

  // ---- a batch at a time ---------------------------------------------------------------------

  /** Sorts a batch's events in offset order, assuming every fresh one will be handled. */
  function classify(items: readonly WorkItem[], marked: readonly boolean[], checks: OffsetOrderChecks) {
    const outcomes = new Map<WorkItem, CheckOutcome>();
    const fresh: WorkItem[] = [];
    for (const [index, item] of items.entries()) {
      const outcome = checks.check(item, marked[index] === true);
      outcomes.set(item, outcome);
      if (outcome === 'fresh') {
        checks.handled(item);
        fresh.push(item);
      } else if (outcome === 'stale') {
        checks.skipped(item);
      }
    }
    return { outcomes, fresh };
  }

  function settleClassified(
    items: readonly WorkItem[],
    outcomes: ReadonlyMap<WorkItem, CheckOutcome>,
    startedAt: number,
  ) {
    for (const item of items) {
      const outcome = outcomes.get(item) ?? 'duplicate';
      settle(item, outcome === 'fresh' ? 'handled' : outcome, startedAt);
    }
  }

  async function runBatchPlain(
    items: readonly WorkItem[],
    signal: AbortSignal,
    startedAt: number,
  ): Promise<void> {
    const marked = await markedInStore(items, signal);
    const latest = await storedLatest(items, signal);
    const { outcomes, fresh } = classify(items, marked, new OffsetOrderChecks(latest));
    const run = handleBatch as NonNullable<typeof handleBatch>;
    const failed =
      fresh.length === 0
        ? undefined
        : await attemptHandler(
            (attempt) =>
              run(fresh.map((item) => item.event) as never, batchContext(fresh, attempt, undefined, signal)),
            signal,
            (fresh[0] as WorkItem).record,
          );
    if (failed === undefined) {
      await markDone(
        items.filter((item) => outcomes.get(item) !== 'duplicate'),
        signal,
      );
      await recordVersions(fresh, signal);
      settleClassified(items, outcomes, startedAt);
      return;
    }
    if (signal.aborted) throw new AbandonedWork('batch abandoned');
    await processEachAlone(items, marked, latest, signal, startedAt);
  }

  /** The batch keeps failing: each event on its own, in offset order, so only failing ones go. */
  async function processEachAlone(
    items: readonly WorkItem[],
    marked: readonly boolean[],
    latest: ReadonlyMap<string, number | undefined>,
    signal: AbortSignal,
    startedAt: number,
  ): Promise<void> {
    const checks = new OffsetOrderChecks(latest);
    for (const [index, item] of items.entries()) {
      if (transactional !== undefined) {
        // The transactional dedup checks the stored mark itself; earlier events of the batch
        // marked theirs in their own transactions.
        settle(item, await processAloneTransactional(transactional, item, signal, checks), startedAt);
        continue;
      }
      const checked = checks.check(item, marked[index] === true);
      if (checked === 'duplicate') {
        settle(item, 'duplicate', startedAt);
      } else if (checked === 'stale') {
        checks.skipped(item);
        await markDone([item], signal);
        settle(item, 'stale', startedAt);
      } else {
        const failed = await attemptHandler(
          (attempt) => handleAlone(item, attempt, undefined, signal),
          signal,
          item.record,
        );
        if (failed !== undefined) {
          settle(item, await afterFailure(item, failed, signal), startedAt);
          continue;
        }
        checks.handled(item);
        await markDone([item], signal);
        await recordVersions([item], signal);
        settle(item, 'handled', startedAt);
      }
    }
  }

  async function runBatchTransactional(
    dedup: TransactionalDedup<TTransaction>,
    items: readonly WorkItem[],
    signal: AbortSignal,
    startedAt: number,
  ): Promise<void> {
    const run = handleBatch as NonNullable<typeof handleBatch>;
    let classified: ReturnType<typeof classify> | undefined;
    let latest: ReadonlyMap<string, number | undefined> = new Map();
    let handlerError: unknown;
    const failed = await attemptHandler(
      async (attempt) => {
        classified = undefined;
        handlerError = undefined;
        await service.call(
          'transactional dedup',
          'run',
          () =>
            dedup.runBatch(
              items.map((item) => item.dedupKey),
              settings.dedupWindowMs,
              async (transaction, fresh) => {
                latest = await storedLatest(items, signal);
                classified = classify(
                  items,
                  fresh.map((isFresh) => !isFresh),
                  new OffsetOrderChecks(latest),
                );
                if (classified.fresh.length === 0) return;
                try {
                  await run(
                    classified.fresh.map((item) => item.event) as never,
                    batchContext(classified.fresh, attempt, transaction, signal),
                  );
                } catch (error) {
                  handlerError = error;
                  throw error;
                }
              },
            ),
          signal,
          (error) => handlerError !== undefined && error === handlerError,
        );
      },
      signal,
      (items[0] as WorkItem).record,
    );
    if (failed === undefined) {
      // No key fresh: every event was marked already, and the work did not run.
      const outcomes = classified?.outcomes ?? new Map<WorkItem, CheckOutcome>();
      await recordVersions(classified?.fresh ?? [], signal);
      settleClassified(items, outcomes, startedAt);
      return;
    }
    if (signal.aborted) throw new AbandonedWork('batch abandoned');
    await processEachAlone(items, [], latest, signal, startedAt);
  }

  async function runBatch(work: BatchWork): Promise<void> {
    const startedAt = performance.now();
    const signal = signalFor(work);
    try {
      const decoded: WorkItem[] = [];
      for (const item of work.items) {
        if (item.decodeError === undefined) decoded.push(item);
        else
          settle(item, await afterFailure(item, { error: item.decodeError, attempts: 1 }, signal), startedAt);
      }
      if (decoded.length === 0) return;
      if (transactional !== undefined) await runBatchTransactional(transactional, decoded, signal, startedAt);
      else await runBatchPlain(decoded, signal, startedAt);
    } catch (error) {
      thrownOutcome(error);
      // Whatever did not finish stays uncommitted and is delivered again.
      for (const item of work.items) release(item);
    }
  }

  // ---- committing ----------------------------------------------------------------------------

  function commitNow(): Promise<void> {
    committing = committing.then(async () => {
      if (consumer === undefined) return;
      const offsets: TopicPartitionOffset[] = [];
      for (const partitionState of partitions.values()) {
        const committable = partitionState.tracker.committable();
        if (committable === undefined || committable === partitionState.lastCommitted) continue;
        offsets.push({
          topic: partitionState.topic,
          partition: partitionState.partition,
          offset: String(committable),
        });
      }
      if (offsets.length === 0) return;
      const committedEpoch = epoch;
      try {
        await consumer.commit(offsets);
        if (committedEpoch === epoch) {
          for (const { topic, partition, offset } of offsets) {
            const partitionState = partitions.get(partitionKeyOf(topic, partition));
            if (partitionState !== undefined) partitionState.lastCommitted = Number(offset);
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

  function runningHandlers(): number {
    return eventLanes.running + batchLanes.running;
  }

  // Lets running handlers finish; at the deadline their signal fires. A handler that ignores it
  // still holds close() (no JavaScript work can be cut short): close says so every few seconds.
  async function drain(deadlineMs: number): Promise<void> {
    const idle = Promise.all([eventLanes.idle(), batchLanes.idle()]);
    if ((await Promise.race([idle, timeout(deadlineMs)])) !== 'timeout') return;
    closingController.abort(closedError('consumer'));
    while ((await Promise.race([idle, timeout(5_000)])) === 'timeout') {
      logger.warn('close is waiting for handlers that ignore their abort signal', {
        groupId,
        running: runningHandlers(),
      });
    }
  }

  function shutdown(): Promise<void> {
    closing ??= (async () => {
      if (state !== 'failed') state = 'closing';
      clearInterval(commitTimer);
      // Before anything else (this runs synchronously from close() or from the failing work):
      // nothing queued starts any more; it is delivered again to the next owner.
      for (const item of eventLanes.stop()) release(item);
      for (const work of batchLanes.stop()) for (const item of work.items) release(item);
      for (const wake of roomWaiters.splice(0)) wake();
      try {
        await started?.catch(() => undefined);
        if (consumer !== undefined) consumer.pause(consumer.assignment());
        await drain(settings.drainTimeoutMs);
        await commitNow();
        await consumer?.close();
      } finally {
        await deadLetters.close();
        if (ownsDedupStore) await dedupStore?.close();
        if (ownsTransport) await transport.close();
        if (state !== 'failed') state = 'closed';
        markStopped(failure);
      }
    })();
    return closing;
  }

  const api: InletConsumer = {
    start() {
      if (closing !== undefined) return Promise.reject(failure ?? closedError('consumer'));
      started ??= (async () => {
        const transportConsumer = transport.consumer({
          groupId,
          ...(options.autoOffsetReset === undefined ? {} : { autoOffsetReset: options.autoOffsetReset }),
          ...(settings.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: settings.sessionTimeoutMs }),
          ...(settings.heartbeatIntervalMs === undefined
            ? {}
            : { heartbeatIntervalMs: settings.heartbeatIntervalMs }),
          ...(options.maxBytesPerPartition === undefined
            ? {}
            : { maxBytesPerPartition: options.maxBytesPerPartition }),
          partitionsConsumedConcurrently: Math.min(8, settings.maxConcurrency),
        });
        consumer = transportConsumer;
        state = 'running';
        await transportConsumer.subscribe([...topics.keys()]);
        await transportConsumer.run({
          onBatch,
          onAssigned,
          onError: (error, fatal) => {
            logger.error('consumer transport error', {
              groupId,
              fatal,
              code: error.code,
              error: error.message,
            });
            if (fatal)
              fail(
                new ConsumerFailedError(error.code, `the Kafka consumer stopped: ${error.message}`, {
                  cause: error,
                }),
              );
          },
        });
        commitTimer = setInterval(() => void commitNow(), settings.commitIntervalMs);
        commitTimer.unref();
      })();
      return started;
    },

    stats() {
      const uncommitted: Record<string, number> = {};
      for (const partitionState of partitions.values())
        uncommitted[`${partitionState.topic}/${partitionState.partition}`] = partitionState.tracker.pending();
      return { ...counters, inFlight: inFlightEvents, inFlightBytes, uncommitted, state, failure };
    },

    stopped: () => stopped,

    close: () => shutdown(),

    [Symbol.asyncDispose]() {
      return api.close();
    },
  };
  return api;
}
