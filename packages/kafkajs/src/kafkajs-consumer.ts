import {
  type AssignedPartition,
  type BatchControls,
  backoffDelayMs,
  type ConsumerHandlers,
  checkedStartOffsets,
  closedError,
  InletError,
  InletErrorCode,
  InletKafkaError,
  ResourceLifecycle,
  resolveTransportConsumerOptions,
  settleHook,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransportConsumer,
  type TransportConsumerOptions,
} from '@inlet/core';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { BatchStaleness } from './batch-staleness';
import { toInletError } from './classify-kafkajs-error';
import type { ConnectionRetryOptions } from './connection-options';
import { type FilteredBatch, toEmptyIncomingBatch, toIncomingBatch } from './incoming-batch';
import { PartitionPauses } from './partition-pauses';
import { retryMetadata } from './retry-metadata';
import { SoughtPositions } from './sought-positions';
import { fromMemberAssignment, subtractTopicPartitions, topicPartitionKey } from './topic-partitions';

const decimalOffset = /^(0|[1-9]\d*)$/;

function misuse(message: string): InletError {
  return new InletError(InletErrorCode.invalidOption, message);
}

function checkPartitions(partitions: readonly TopicPartition[], what: string): void {
  for (const { topic, partition } of partitions) {
    if (typeof topic !== 'string' || topic === '' || !Number.isInteger(partition) || partition < 0) {
      throw misuse(`${what}: ${JSON.stringify({ topic, partition })} is not a topic-partition`);
    }
  }
}

function checkOffsets(offsets: readonly TopicPartitionOffset[], what: string): void {
  checkPartitions(offsets, what);
  for (const { topic, partition, offset } of offsets) {
    if (typeof offset !== 'string' || !decimalOffset.test(offset)) {
      throw misuse(
        `${what}: offset ${JSON.stringify(offset)} of ${topic}/${partition} is not a decimal offset`,
      );
    }
  }
}

/**
 * A {@link TransportConsumer} on a kafkajs consumer group. kafkajs runs with autoCommit off and
 * eachBatchAutoResolve off: a batch advances the fetch position only when its handler resolves
 * and the batch is not stale, and offsets reach the broker only through `commit()`.
 *
 * The partition lifecycle hooks: a new assignment's partitions are paused inside kafkajs's group
 * join, before its first fetch, and resumed (after seeking to what the assignment hook returned)
 * once the hook settles. kafkajs cannot be held in its rejoin, so the revoking hook is called when
 * kafkajs reports the rebalance, or when it begins a join of its own (stale metadata, a lost
 * session), just before it sends JoinGroup, and runs while it rejoins; the next assignment is
 * announced once it settled. close() stops fetching, waits for the batches in flight and for the
 * revoking hook, and only then leaves the group.
 */
export function createKafkaJsConsumer(
  kafka: Kafka,
  retry: Required<ConnectionRetryOptions>,
  options: TransportConsumerOptions,
): TransportConsumer {
  const settings = resolveTransportConsumerOptions(options);
  const consumer = kafka.consumer({
    groupId: settings.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    rebalanceTimeout: settings.rebalanceTimeoutMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    maxWaitTimeInMs: settings.maxWaitTimeMs,
    readUncommitted: settings.isolation === 'read_uncommitted',
    allowAutoTopicCreation: false,
  });
  const lifecycle = new ResourceLifecycle('consumer', { classifyError: toInletError });
  const staleness = new BatchStaleness();
  const failures = new Map<string, number>();
  const pendingSeeks = new Map<string, TopicPartitionOffset>();
  const sought = new SoughtPositions();
  // Per partition, the delivery of a batch kafkajs filtered down to nothing, still running: the
  // partition's next batch waits for it, as it would for any batch.
  const filteredDeliveries = new Map<string, Promise<void>>();
  let handlers: ConsumerHandlers | undefined;
  let subscribed = false;
  let started: Promise<void> | undefined;
  // kafkajs silently drops a commit made while it rejoins after a crash; this says when that is.
  let member = false;
  let memberId: string | undefined;
  let assignment: TopicPartition[] = [];
  // Bumped by every join, rebalance, crash and by close: an assignment hook that settles under an
  // older epoch belongs to an assignment that is gone, and its offsets are not applied.
  let assignmentEpoch = 0;
  // Counts group joins; the revoking hook is called once per assignment.
  let joins = 0;
  let revokedAtJoin = 0;
  let revoking: Promise<void> | undefined;
  let announcing: Promise<void> | undefined;
  let batchesInFlight = 0;
  const batchesSettled: (() => void)[] = [];
  let closing: Promise<void> | undefined;

  // kafkajs throws from pause/resume/seek while it has no group (before run, after a crash);
  // what it misses then is applied again when the group is joined.
  const whileRunning = (call: () => void): boolean => {
    try {
      call();
      return true;
    } catch {
      return false;
    }
  };
  const pauses = new PartitionPauses({
    pause: ({ topic, partition }) => whileRunning(() => consumer.pause([{ topic, partitions: [partition] }])),
    resume: ({ topic, partition }) =>
      whileRunning(() => consumer.resume([{ topic, partitions: [partition] }])),
  });

  // Calls are refused from the moment close() is called; commit() alone stays allowed until the
  // member has left, for the revoking hook close() calls.
  function assertOpen(): void {
    if (closing !== undefined) throw closedError('consumer');
    lifecycle.assertOpen();
  }

  function report(error: InletError, fatal: boolean): void {
    if (lifecycle.closed) return;
    try {
      handlers?.onError?.(error, fatal);
    } catch {
      // The error callback failing leaves nothing else to tell.
    }
  }

  function callHook(name: string, hook: () => void): void {
    try {
      hook();
    } catch (error) {
      report(new InletError(InletErrorCode.handlerFailed, `${name} threw`, { cause: error }), false);
    }
  }

  /** Seeks in kafkajs; false while kafkajs has no group. */
  function seekKafkaJs(position: TopicPartitionOffset): boolean {
    return whileRunning(() => {
      consumer.seek(position);
      sought.sought(topicPartitionKey(position), position.offset);
    });
  }

  function flushSeeks(): void {
    for (const [key, position] of pendingSeeks) {
      if (seekKafkaJs(position)) pendingSeeks.delete(key);
    }
  }

  function pauseDirectly(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      whileRunning(() => consumer.pause([{ topic, partitions: [partition] }]));
    }
  }

  /** Calls the revoking hook for the partitions owned now, unless it was for this assignment. */
  function revokeOwned(): void {
    if (revokedAtJoin === joins) return;
    revokedAtJoin = joins;
    const current = handlers;
    const partitions = [...assignment];
    if (current?.onPartitionsRevoking === undefined || partitions.length === 0) return;
    const running = settleHook(() => current.onPartitionsRevoking?.(partitions), {
      name: 'onPartitionsRevoking',
      timeoutMs: settings.rebalanceTimeoutMs,
      report: (error) => report(error, false),
    }).then(() => {
      if (revoking === running) revoking = undefined;
    });
    revoking = running;
  }

  /**
   * Runs `announce` at once, or once the revoking hook of the assignment before settled (and the
   * announcements queued before it ran), so that an owner never hears of a new assignment while
   * it is still giving up the old one.
   */
  function afterRevoking(announce: () => void): void {
    const pending = [announcing, revoking].filter((task) => task !== undefined);
    if (pending.length === 0) {
      announce();
      return;
    }
    const next = Promise.all(pending).then(announce);
    announcing = next;
    void next.then(() => {
      if (announcing === next) announcing = undefined;
    });
  }

  function startAssignmentHook(partitions: readonly AssignedPartition[], epoch: number): void {
    const current = handlers;
    if (current?.onPartitionsAssigned === undefined) return;
    const reportHook = (error: InletError) => report(error, false);
    void settleHook(() => current.onPartitionsAssigned?.(partitions), {
      name: 'onPartitionsAssigned',
      report: reportHook,
    }).then((outcome) => {
      if (epoch !== assignmentEpoch || closing !== undefined) return;
      const starts = outcome.ok ? checkedStartOffsets(outcome.value, partitions, reportHook) : [];
      for (const position of starts) {
        staleness.partitionMoved(topicPartitionKey(position));
        // Fails only while kafkajs has no group, and then a new join made this epoch stale.
        seekKafkaJs(position);
      }
      pauses.release(partitions);
    });
  }

  function joined(next: TopicPartition[], joinedAs: string | undefined): void {
    // Called already when kafkajs began its join; this is for a join that asked no coordinator.
    revokeOwned();
    const lostMembership = memberId !== undefined && joinedAs !== memberId;
    memberId = joinedAs;
    const owned = new Set(lostMembership ? [] : assignment.map(topicPartitionKey));
    const revoked = subtractTopicPartitions(assignment, next);
    assignment = next;
    joins += 1;
    assignmentEpoch += 1;
    const epoch = assignmentEpoch;
    if (closing !== undefined) {
      pauseDirectly(next);
      return;
    }
    // Held (paused here, inside kafkajs's join, before its first fetch) until the assignment hook
    // settled, or until the assignment is announced when that waits for the revoking hook.
    const hooked = handlers?.onPartitionsAssigned !== undefined;
    const announceLater = revoking !== undefined || announcing !== undefined;
    pauses.holdOnly(hooked || announceLater ? next : []);
    pauses.reapply();
    flushSeeks();
    const partitions = next.map(
      ({ topic, partition }): AssignedPartition =>
        Object.freeze({ topic, partition, isNew: !owned.has(topicPartitionKey({ topic, partition })) }),
    );
    afterRevoking(() => {
      if (revoked.length > 0) callHook('onRevoked', () => handlers?.onRevoked?.(revoked));
      if (epoch === assignmentEpoch && closing === undefined) {
        if (hooked) startAssignmentHook(partitions, epoch);
        else pauses.release(next);
      }
      callHook('onAssigned', () => handlers?.onAssigned?.(next));
    });
  }

  // Listeners run inside kafkajs's group join; a throw there would crash the consumer.
  consumer.on(consumer.events.REBALANCING, () => {
    staleness.allMoved();
    assignmentEpoch += 1;
    callHook('onRebalancing', () => handlers?.onRebalancing?.());
    revokeOwned();
  });
  // Every join starts with a FindCoordinator request (only joins send one from this client), and
  // kafkajs reports its answer just before it sends JoinGroup: the moment to call the revoking
  // hook when kafkajs rejoins without a REBALANCING event (its metadata went stale, or its session
  // expired), so that it still comes before the group can give the partitions to anyone else.
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    if (payload.apiName !== 'GroupCoordinator' || revokedAtJoin === joins) return;
    staleness.allMoved();
    assignmentEpoch += 1;
    revokeOwned();
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    member = true;
    staleness.allMoved();
    joined(fromMemberAssignment(payload.memberAssignment), payload.memberId);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    member = false;
    staleness.allMoved();
    assignmentEpoch += 1;
    // Best effort: kafkajs has already left the group when it reports a crash.
    revokeOwned();
    const lost = assignment;
    assignment = [];
    if (lost.length > 0) callHook('onRevoked', () => handlers?.onRevoked?.(lost));
    report(toInletError(payload.error), !payload.restart);
  });

  function redeliverLater(partition: TopicPartition): void {
    const key = topicPartitionKey(partition);
    const failed = (failures.get(key) ?? 0) + 1;
    failures.set(key, failed);
    // A rejected batch waits as a failed request would: the retry schedule of the connection.
    pauses.backOff(
      partition,
      backoffDelayMs(failed, { minDelayMs: retry.initialRetryTimeMs, maxDelayMs: retry.maxRetryTimeMs }),
    );
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset } = payload;
    const partition = { topic: batch.topic, partition: batch.partition };
    // Not delivered, and its position left where it is: a batch of a partition waiting for its
    // assignment hook, one fetched before a seek kafkajs has not applied yet (its next fetch
    // starts at the sought offset), or one that arrives once close() has begun.
    if (closing !== undefined || pauses.isHeld(partition) || payload.isStale()) return;
    const key = topicPartitionKey(partition);
    sought.applied(key);
    const moved = staleness.snapshot(key);
    const isStale = () => closing !== undefined || moved() || payload.isStale();
    const filtered = filteredDeliveries.get(key);
    if (filtered !== undefined) {
      await filtered;
      // Moved while it waited: left unresolved, as a batch not delivered is.
      if (isStale()) return;
    }
    const controls: BatchControls = {
      heartbeat: async () => {
        try {
          await payload.heartbeat();
        } catch (error) {
          const classified = toInletError(error);
          if (
            !InletError.hasCode(classified, InletErrorCode.kafkaRebalance, InletErrorCode.kafkaCoordinator)
          ) {
            throw classified;
          }
          // The group is rebalancing: kafkajs rejoins once this batch is done, and until then the
          // partition may already be someone else's.
          staleness.allMoved();
        }
      },
      isStale,
    };
    batchesInFlight += 1;
    try {
      await (handlers as ConsumerHandlers).onBatch(toIncomingBatch(batch), controls);
    } catch (error) {
      const first = batch.messages[0]?.offset;
      report(
        new InletError(
          InletErrorCode.handlerFailed,
          `onBatch failed for ${batch.topic}/${batch.partition} at offset ${first}; the batch will be delivered again`,
          { cause: error, retryable: true },
        ),
        false,
      );
      // Not resolving leaves kafkajs's fetch position at the batch's first offset, so the next
      // fetch of this partition, after the back-off, returns the same records.
      if (!isStale()) redeliverLater(partition);
      return;
    } finally {
      batchesInFlight -= 1;
      if (batchesInFlight === 0) for (const settled of batchesSettled.splice(0)) settled();
    }
    failures.delete(key);
    const last = batch.messages[batch.messages.length - 1];
    if (last !== undefined && !isStale()) resolveOffset(last.offset);
  }

  // kafkajs moves its position past a batch it filtered down to nothing (transaction markers,
  // aborted records) by itself and never calls eachBatch for it: its batch event is the only word
  // of it. The owner gets it as a batch with no records, so that it can commit that far.
  function deliverFiltered(filtered: FilteredBatch & { readonly firstOffset: string | null }): void {
    const partition = { topic: filtered.topic, partition: filtered.partition };
    const key = topicPartitionKey(partition);
    if (closing !== undefined || pauses.isHeld(partition)) return;
    if (!sought.admitsFiltered(key, filtered.firstOffset)) return;
    const previous = filteredDeliveries.get(key);
    const moved = staleness.snapshot(key);
    const controls: BatchControls = {
      heartbeat: async () => undefined,
      isStale: () => closing !== undefined || moved(),
    };
    batchesInFlight += 1;
    const delivery = (async () => {
      await previous;
      await (handlers as ConsumerHandlers).onBatch(toEmptyIncomingBatch(filtered), controls);
    })()
      .catch((error: unknown) => {
        report(
          new InletError(
            InletErrorCode.handlerFailed,
            `onBatch failed for ${filtered.topic}/${filtered.partition} on a batch of transaction markers and aborted records up to offset ${filtered.lastOffset}`,
            { cause: error, retryable: true },
          ),
          false,
        );
      })
      .finally(() => {
        if (filteredDeliveries.get(key) === delivery) filteredDeliveries.delete(key);
        batchesInFlight -= 1;
        if (batchesInFlight === 0) for (const settled of batchesSettled.splice(0)) settled();
      });
    filteredDeliveries.set(key, delivery);
  }

  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize !== 0) return;
    deliverFiltered({ ...payload, firstOffset: payload.firstOffset ?? null });
  });

  const connect = () => {
    if (closing !== undefined) return Promise.reject(closedError('consumer'));
    return lifecycle.connect(() => consumer.connect());
  };

  function whenBatchesSettled(): Promise<void> {
    if (batchesInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => batchesSettled.push(resolve));
  }

  // Stops fetching (every partition paused, batches still arriving dropped), lets the batches in
  // flight finish, gives the owner its revoking hook while the member is still in the group (so
  // that a commit made there lands), then leaves.
  async function shutDown(): Promise<void> {
    assignmentEpoch += 1;
    staleness.allMoved();
    pauses.clear();
    pauseDirectly(assignment);
    await whenBatchesSettled();
    revokeOwned();
    await Promise.all([announcing, revoking]);
    await lifecycle.close(async () => {
      member = false;
      await consumer.disconnect();
      assignment = [];
    });
  }

  async function start(runHandlers: ConsumerHandlers): Promise<void> {
    handlers = runHandlers;
    await connect();
    // consumer.run() reports a failed first join through the CRASH event, not by rejecting.
    let crash: { error: Error; restart: boolean } | undefined;
    const stopListening = consumer.on(consumer.events.CRASH, ({ payload }) => {
      crash ??= payload;
    });
    try {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        eachBatch,
      });
    } finally {
      stopListening();
    }
    if (crash !== undefined && !crash.restart) throw crash.error;
  }

  return {
    connect,
    async subscribe(topics) {
      assertOpen();
      if (started !== undefined) throw misuse('subscribe() must be called before run()');
      if (
        !Array.isArray(topics) ||
        topics.length === 0 ||
        topics.some((t) => typeof t !== 'string' || t === '')
      ) {
        throw misuse('subscribe() needs a non-empty list of topic names');
      }
      await connect();
      const fromBeginning = settings.autoOffsetReset === 'earliest';
      await lifecycle.run(() =>
        retryMetadata(() => consumer.subscribe({ topics: [...topics], fromBeginning }), retry),
      );
      subscribed = true;
    },
    async run(runHandlers) {
      assertOpen();
      if (started !== undefined) throw misuse('run() was already called');
      if (!subscribed) throw misuse('subscribe() must be called before run()');
      if (typeof runHandlers?.onBatch !== 'function') throw misuse('run() needs an onBatch handler');
      started = lifecycle.run(() => start(runHandlers));
      await started;
    },
    async commit(offsets) {
      lifecycle.assertOpen();
      checkOffsets(offsets, 'commit()');
      if (offsets.length === 0) return;
      if (started === undefined) throw misuse('commit() needs a running consumer: call run() first');
      await started;
      if (!member) {
        throw new InletKafkaError(
          InletErrorCode.kafkaRebalance,
          'the consumer is not a member of its group right now (it is rejoining after an error)',
          'NOT_A_GROUP_MEMBER',
          { retryable: true },
        );
      }
      await lifecycle.run(() =>
        consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))),
      );
    },
    pause(partitions) {
      assertOpen();
      checkPartitions(partitions, 'pause()');
      pauses.pause(partitions);
    },
    resume(partitions) {
      assertOpen();
      checkPartitions(partitions, 'resume()');
      pauses.resume(partitions);
    },
    paused: () => pauses.paused(),
    seek(position) {
      assertOpen();
      checkOffsets([position], 'seek()');
      const key = topicPartitionKey(position);
      staleness.partitionMoved(key);
      pendingSeeks.set(key, {
        topic: position.topic,
        partition: position.partition,
        offset: position.offset,
      });
      flushSeeks();
    },
    assignment: () => [...assignment],
    close() {
      // Set before shutDown runs, so that everything it sets off already sees the consumer closing.
      closing ??= Promise.resolve().then(shutDown);
      return closing;
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
