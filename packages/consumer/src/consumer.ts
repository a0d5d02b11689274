import {
  type AssignedPartition,
  closedError,
  type IncomingBatch,
  InletError,
  InletErrorCode,
  type KafkaTransport,
  type TopicDefinition,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransportAdmin,
  type TransportConsumer,
  throwIfAborted,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { CommitTracking } from './commit-tracking';
import { type ConsumerState, type ConsumerStats, consumerChannels } from './consumer-diagnostics';
import { type ConsumerOptions, resolveConsumerOptions, topicsByName } from './consumer-options';
import { DeadLetterWriter } from './dead-letter-writer';
import { DedupMarks } from './dedup-marks';
import { EventDecoding } from './event-decoding';
import { EventHandling } from './event-handling';
import { HandlerAttempts } from './handler-attempts';
import { InFlightLimits } from './in-flight-limits';
import { KeyLanes } from './key-lanes';
import type { PartitionState } from './partition-states';
import { PartitionStates } from './partition-states';
import { AbandonedWork, ConsumerFailedError, ServiceCalls, toInletError } from './retries';
import type { TransactionalDedup } from './stores/stores';
import { isTombstone, type TombstoneMode } from './tombstone';
import { VersionGate } from './version-gate';
import { type BatchWork, type Outcome, partitionKeyOf, type WorkItem } from './work-item';

export { UnrecoverableEventError } from './handler-attempts';

export interface CaughtUpOptions {
  /** Gives up waiting (INLET_ABORTED). */
  readonly signal?: AbortSignal;
  /** Gives up waiting after this long (INLET_TIMEOUT). Default: no limit. */
  readonly timeoutMs?: number;
}

export interface InletConsumer {
  /** Joins the group and starts handling. */
  start(): Promise<void>;
  stats(): ConsumerStats;
  /**
   * Resolves once everything that was in this member's partitions when it was called is done and
   * committable (handled, skipped or dead-lettered, holds released): lag 0 as of that moment, with
   * every partition that has records owned by a member of the group. For tests, one-off
   * backfills and the demo. Rejects if the consumer stops first.
   */
  caughtUp(options?: CaughtUpOptions): Promise<void>;
  /**
   * Resolves once the consumer has stopped and let go of everything: after `close()`, or after
   * it stopped by itself because something failed past its retries, with that error (then
   * `stats().state` is `failed`, and nothing was committed past the event concerned).
   */
  stopped(): Promise<InletError | undefined>;
  /**
   * Stops the consumer as failed, with `error`, as when something fails past its retries: for the
   * owner of work the consumer cannot see (a sink whose target refuses every write). Queued work
   * is dropped, running work finishes, what is done commits, and `stopped()` resolves with it.
   */
  fail(error: unknown): Promise<void>;
  /**
   * Stops fetching, drops queued work (it is delivered again to the next owner), lets running
   * handlers finish (their signal fires after `drainTimeoutMs`), commits what is done, leaves the
   * group. Resolves only once no handler is running; none starts after `close()` is called.
   * Safe to call twice.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

/**
 * Creates a consumer that turns at-least-once delivery into effects that happen once, in order
 * per entity: events of one key are handled one at a time in offset order while different keys
 * run concurrently; duplicates within the dedup window are skipped; failures are retried, then
 * dead-lettered; an offset is committed only once it and everything before it are done.
 *
 * The work goes through stages, each in its own module: decoding (`event-decoding`), dedup
 * (`dedup-marks`) and the version gate (`version-gate`), checked in offset order
 * (`offset-order-checks`), per-key lanes (`key-lanes`), the handler with its retries
 * (`handler-attempts`) and the dead-letter topic (`dead-letter-writer`), all driven by
 * `event-handling`; then commit tracking (`commit-tracking`, with `partition-states`), and
 * backpressure throughout (`in-flight-limits`). This function wires them to the transport.
 */
export function createConsumer<
  const TTopics extends readonly TopicDefinition[],
  TTransaction = never,
  const TTombstones extends TombstoneMode = 'dead-letter',
>(options: ConsumerOptions<TTopics, TTransaction, TTombstones>): InletConsumer {
  const settings = resolveConsumerOptions(options);
  const { groupId, logger } = settings;
  const topics = topicsByName(options.topics);
  const ownsTransport = options.transport === undefined;
  const transport: KafkaTransport =
    options.transport ??
    createKafkaJsTransport({ ...options.connection, brokers: options.brokers as readonly string[], logger });
  const transactional = options.transactionalDedup as TransactionalDedup<TTransaction> | undefined;

  const counters = {
    handled: 0,
    duplicates: 0,
    stale: 0,
    retries: 0,
    serviceRetries: 0,
    deadLettered: 0,
    rebalances: 0,
  };
  let consumer: TransportConsumer | undefined;
  let admin: TransportAdmin | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  let started: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let state: ConsumerState = 'created';
  let failure: InletError | undefined;
  let markStopped: (error: InletError | undefined) => void = () => undefined;
  const stopped = new Promise<InletError | undefined>((resolve) => {
    markStopped = resolve;
  });
  const closingController = new AbortController();

  // ---- the stages ----------------------------------------------------------------------------

  const service = new ServiceCalls({
    groupId,
    retries: settings.serviceRetries,
    delays: settings.serviceRetryDelays,
    logger,
    onRetry: () => {
      counters.serviceRetries += 1;
    },
  });
  const decoding = new EventDecoding({
    groupId,
    topics,
    registry: options.registry,
    decoder: options.decoder,
    dedupKey: settings.dedupKey,
    versionGate: options.versionGate !== undefined,
    tombstones: options.tombstones ?? 'dead-letter',
  });
  const dedup = new DedupMarks({
    store:
      options.dedup === false || transactional !== undefined ? false : (options.dedup?.store ?? undefined),
    windowMs: settings.dedupWindowMs,
    service,
    groupId,
  });
  const versions =
    options.versionGate === undefined ? undefined : new VersionGate(options.versionGate.store, service);
  const deadLetters = new DeadLetterWriter(transport, settings, service);
  const partitions = new PartitionStates(closingController.signal, settings.drainTimeoutMs);
  const limits = new InFlightLimits({
    maxEvents: settings.maxInFlightEvents,
    maxBytes: settings.maxInFlightBytes,
    pause: () => consumer?.pause(consumer.assignment()),
    resume: () => {
      if (closing === undefined && consumer !== undefined) consumer.resume(consumer.assignment());
    },
  });
  const commits = new CommitTracking({
    groupId,
    partitions,
    logger,
    stallThresholdMs: settings.stallThresholdMs,
    describeStall,
  });
  const handling = new EventHandling<TTransaction>({
    handle: options.handle as never,
    handleBatch: options.handleBatch as never,
    dedup,
    versions,
    transactional,
    attempts: new HandlerAttempts({
      groupId,
      retries: settings.retries,
      delays: settings.retryDelays,
      isRetryable: settings.isRetryable,
      logger,
      onRetry: () => {
        counters.retries += 1;
      },
    }),
    service,
    deadLetters,
    commits,
    partitions,
    settle,
    thrownOutcome,
    handledThenDeadLettered: () => {
      counters.handled -= 1;
      counters.deadLettered += 1;
    },
  });
  const eventLanes = new KeyLanes<WorkItem>(
    settings.maxConcurrency,
    (item) => item.laneKey,
    (item) => handling.runEvent(item),
  );
  const batchLanes = new KeyLanes<BatchWork>(
    settings.maxConcurrency,
    (work) => work.partitionKey,
    (work) => handling.runBatch(work),
  );

  // ---- bookkeeping -------------------------------------------------------------------------

  function release(item: WorkItem): void {
    if (item.settled) return;
    item.settled = true;
    limits.release(1, item.bytes);
  }

  function publish(channel: 'handled' | 'duplicate' | 'stale', item: WorkItem, startedAt: number): void {
    if (!consumerChannels[channel].hasSubscribers) return;
    const event = item.event;
    const traced = event === undefined || isTombstone(event) ? undefined : event;
    consumerChannels[channel].publish({
      groupId,
      topic: item.record.topic,
      partition: item.record.partition,
      offset: item.record.offset,
      eventId: event?.id,
      freshnessMs: event === undefined ? undefined : Date.now() - event.eventTime.getTime(),
      handlingMs: startedAt === 0 ? 0 : performance.now() - startedAt,
      traceparent: traced?.traceparent,
      tracestate: traced?.tracestate,
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
    release(item);
    if (outcome !== 'abandoned') commits.done(item);
  }

  function describeStall(partitionState: PartitionState, offset: number): string {
    for (const item of eventLanes.runningItems()) {
      if (item.partitionKey === partitionState.key && item.offset === offset)
        return `the event at offset ${offset} is being handled (or its store and dead-letter calls retried)`;
    }
    for (const work of batchLanes.runningItems()) {
      if (work.partitionKey === partitionState.key && work.items.some((item) => item.offset === offset))
        return `the batch holding offset ${offset} is being handled (or its store and dead-letter calls retried)`;
    }
    return `offset ${offset} is done but its commit is held (holdCommit not released), or it waits behind other work of its key`;
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

  // ---- receiving batches -------------------------------------------------------------------

  async function onBatch(
    batch: IncomingBatch,
    controls: { heartbeat(): Promise<void>; isStale(): boolean },
  ): Promise<void> {
    if (closing !== undefined || controls.isStale()) return;
    if (batch.records.length > 0) await decoding.resolveWriterSchemas(batch.records);
    if (closing !== undefined || controls.isStale()) return;
    const partitionState = partitions.stateFor(batch.topic, batch.partition);
    partitionState.highWatermark = batch.highWatermark;
    const { key: partitionKey } = partitionState;
    const epoch = partitions.epoch;
    const items: WorkItem[] = [];
    let bytes = 0;
    for (const record of batch.records) {
      const item = decoding.workItem(record, epoch, partitionKey, batch.highWatermark);
      item.fetchEnd = batch.nextOffset;
      partitionState.tracker.add(item.offset);
      bytes += item.bytes;
      items.push(item);
    }
    // Transaction markers and aborted records take offsets too: once the batch's records are
    // done, the partition commits up to where the fetch ended, not one past its last record.
    const nextOffset = Number(batch.nextOffset);
    if (Number.isSafeInteger(nextOffset)) partitionState.tracker.fetchedUpTo(nextOffset);
    if (items.length === 0) return;
    limits.add(items.length, bytes);
    if (options.handleBatch !== undefined) {
      if (!batchLanes.push({ epoch, partitionKey, items })) for (const item of items) release(item);
    } else {
      for (const item of items) if (!eventLanes.push(item)) release(item);
    }
    await limits.waitForRoom(controls);
  }

  function onAssigned(assignment: readonly TopicPartition[]): void {
    // After any rebalance the transport delivers every owned partition again from its committed
    // offset: drop what is queued (it will come again) and start the trackers afresh. Work in
    // flight finishes under its old epoch and commits nothing.
    counters.rebalances += 1;
    const { revoked } = partitions.assign(assignment);
    const epoch = partitions.epoch;
    const dropped = [
      ...eventLanes.drop((item) => item.epoch !== epoch),
      ...batchLanes.drop((work) => work.epoch !== epoch).flatMap((work) => work.items),
    ];
    for (const item of dropped) release(item);
    logger.info('consumer assignment', { groupId, partitions: assignment.length, epoch });
    if (consumerChannels.rebalance.hasSubscribers) {
      consumerChannels.rebalance.publish({
        groupId,
        assigned: assignment.map(({ topic, partition }) => ({ topic, partition })),
        revoked: revoked.map(({ topic, partition }) => ({ topic, partition })),
        rebalances: counters.rebalances,
      });
    }
  }

  // ---- partition lifecycle -------------------------------------------------------------------

  /** Where the assignment hook said partitions start (for `caughtUp` before anything is fetched). */
  const startOffsets = new Map<string, number>();

  async function onPartitionsAssigned(
    assigned: readonly AssignedPartition[],
  ): Promise<readonly TopicPartitionOffset[] | undefined> {
    const hook = options.onPartitionsAssigned;
    startOffsets.clear();
    if (hook === undefined || closing !== undefined) return undefined;
    try {
      const offsets = await service.call(
        'assignment hook',
        'onPartitionsAssigned',
        () => hook(assigned, { signal: closingController.signal }),
        closingController.signal,
      );
      for (const { topic, partition, offset } of offsets ?? [])
        startOffsets.set(partitionKeyOf(topic, partition), Number(offset));
      return offsets ?? undefined;
    } catch (error) {
      // Fetching from the committed offsets when the owner said otherwise would read from the
      // wrong place: a hook that keeps failing stops the consumer.
      thrownOutcome(error);
      return undefined;
    }
  }

  // A rebalance begins (every owned partition goes: the group rebalances eagerly), or close(): drop
  // queued work of the partitions (it is delivered again), let their running work finish, let the
  // owner flush, then commit.
  async function onPartitionsRevoking(revoking: readonly TopicPartition[]): Promise<void> {
    if (revoking.length === 0) return;
    const keys = new Set(revoking.map(({ topic, partition }) => partitionKeyOf(topic, partition)));
    for (const item of eventLanes.drop((queued) => keys.has(queued.partitionKey))) release(item);
    for (const work of batchLanes.drop((queued) => keys.has(queued.partitionKey)))
      for (const item of work.items) release(item);
    const deadline = Date.now() + settings.drainTimeoutMs;
    const running = () =>
      [...eventLanes.runningItems()].some((item) => keys.has(item.partitionKey)) ||
      [...batchLanes.runningItems()].some((work) => keys.has(work.partitionKey));
    while (running() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const hook = options.onPartitionsRevoked;
    if (hook !== undefined) {
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(closedError('partition (revoked)')),
        Math.max(0, deadline - Date.now()),
      );
      try {
        await Promise.race([
          hook(revoking, { signal: controller.signal }),
          new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true })),
        ]);
      } catch (error) {
        logger.error('onPartitionsRevoked failed', { groupId, error: toInletError(error).message });
      } finally {
        clearTimeout(timer);
      }
    }
    await commits.commit();
  }

  // ---- caught up -----------------------------------------------------------------------------

  function adminClient(): TransportAdmin {
    admin ??= transport.admin();
    return admin;
  }

  /** Per partition: the end of the log now (what must be done), and where the log starts. */
  async function logEnds(): Promise<Map<string, { readonly low: number; readonly high: number }>> {
    const ends = new Map<string, { low: number; high: number }>();
    for (const topic of topics.keys()) {
      for (const { partition, low, high } of await adminClient().topicOffsets(topic))
        ends.set(partitionKeyOf(topic, partition), { low: Number(low), high: Number(high) });
    }
    return ends;
  }

  /** Partitions owned now that have not reached their target yet. */
  async function behind(
    targets: Map<string, { readonly low: number; readonly high: number }>,
  ): Promise<number> {
    let count = 0;
    let committed: Map<string, number> | undefined;
    for (const partitionState of partitions.values()) {
      const target = targets.get(partitionState.key);
      if (target === undefined || target.high <= target.low) continue;
      let position = partitionState.tracker.committable() ?? startOffsets.get(partitionState.key);
      if (position === undefined) {
        // Nothing fetched since the assignment, nor a start given: the group's committed offset
        // says where it is.
        if (committed === undefined) {
          committed = new Map();
          for (const topic of topics.keys())
            for (const { partition, offset } of await adminClient().groupOffsets(groupId, topic))
              committed.set(partitionKeyOf(topic, partition), Number(offset));
        }
        const stored = committed.get(partitionState.key) ?? -1;
        position = stored >= 0 ? stored : options.autoOffsetReset === 'latest' ? target.high : target.low;
      }
      if (position < target.high) count += 1;
    }
    return count;
  }

  /**
   * Whether every partition with records is owned by a member of the group. A member that joins
   * before the broker's metadata lists a new topic's partitions can be handed none of them, and
   * owns nothing that is behind until the group rebalances: not caught up, while nobody owns them.
   */
  async function ownedByTheGroup(
    targets: Map<string, { readonly low: number; readonly high: number }>,
  ): Promise<boolean> {
    const unowned = [...targets]
      .filter(([key, { low, high }]) => high > low && partitions.get(key) === undefined)
      .map(([key]) => key);
    if (unowned.length === 0) return true;
    const group = await adminClient().describeGroup(groupId);
    const assigned = new Set(
      group.members.flatMap((member) =>
        member.assignment.map(({ topic, partition }) => partitionKeyOf(topic, partition)),
      ),
    );
    return unowned.every((key) => assigned.has(key));
  }

  async function caughtUp(
    waiting: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
  ): Promise<void> {
    const deadline = waiting.timeoutMs === undefined ? undefined : Date.now() + waiting.timeoutMs;
    await started;
    const targets = await logEnds();
    for (;;) {
      if (failure !== undefined) throw failure;
      if (closing !== undefined) throw closedError('consumer');
      throwIfAborted(waiting.signal, 'waiting to catch up');
      if (deadline !== undefined && Date.now() > deadline)
        throw new InletError(InletErrorCode.timeout, `not caught up within ${waiting.timeoutMs} ms`);
      if (partitions.epoch > 0 && (await behind(targets)) === 0 && (await ownedByTheGroup(targets))) return;
      // A timer that keeps the process alive: the caller is waiting on it.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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
      limits.stop();
      try {
        await started?.catch(() => undefined);
        if (consumer !== undefined) consumer.pause(consumer.assignment());
        await drain(settings.drainTimeoutMs);
        await commits.commit();
        await consumer?.close();
      } finally {
        await admin?.close().catch(() => undefined);
        await deadLetters.close();
        await dedup.close();
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
        commits.consumer = transportConsumer;
        state = 'running';
        await transportConsumer.subscribe([...topics.keys()]);
        await transportConsumer.run({
          onBatch,
          onAssigned,
          onPartitionsAssigned,
          onPartitionsRevoking,
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
        commitTimer = setInterval(() => void commits.commit(), settings.commitIntervalMs);
        commitTimer.unref();
      })();
      return started;
    },

    stats() {
      const uncommitted: Record<string, number> = {};
      for (const partitionState of partitions.values())
        uncommitted[`${partitionState.topic}/${partitionState.partition}`] = partitionState.tracker.pending();
      return {
        ...counters,
        inFlight: limits.events,
        inFlightBytes: limits.bytes,
        uncommitted,
        state,
        failure,
      };
    },

    caughtUp,

    stopped: () => stopped,

    fail(error) {
      thrownOutcome(
        error instanceof ConsumerFailedError
          ? error
          : new ConsumerFailedError(
              InletError.is(error) ? error.code : InletErrorCode.handlerFailed,
              `consumer failed: ${toInletError(error).message}`,
              { cause: error },
            ),
      );
      return shutdown();
    },

    close: () => shutdown(),

    [Symbol.asyncDispose]() {
      return api.close();
    },
  };
  return api;
}
