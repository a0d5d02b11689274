import {
  type BatchControls,
  backoffDelayMs,
  type ConsumerHandlers,
  InletError,
  InletErrorCode,
  InletKafkaError,
  ResourceLifecycle,
  resolveTransportConsumerOptions,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransportConsumer,
  type TransportConsumerOptions,
} from '@inlet/core';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { BatchStaleness } from './batch-staleness';
import { toInletError } from './classify-kafkajs-error';
import type { ConnectionRetryOptions } from './connection-options';
import { toIncomingBatch } from './incoming-batch';
import { PartitionPauses } from './partition-pauses';
import { retryMetadata } from './retry-metadata';
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
  let handlers: ConsumerHandlers | undefined;
  let subscribed = false;
  let started: Promise<void> | undefined;
  // kafkajs silently drops a commit made while it rejoins after a crash; this says when that is.
  let member = false;
  let assignment: TopicPartition[] = [];

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

  function flushSeeks(): void {
    for (const [key, position] of pendingSeeks) {
      if (whileRunning(() => consumer.seek(position))) pendingSeeks.delete(key);
    }
  }

  // Listeners run inside kafkajs's group join; a throw there would crash the consumer.
  consumer.on(consumer.events.REBALANCING, () => {
    staleness.allMoved();
    callHook('onRebalancing', () => handlers?.onRebalancing?.());
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    member = true;
    staleness.allMoved();
    const next = fromMemberAssignment(payload.memberAssignment);
    const revoked = subtractTopicPartitions(assignment, next);
    assignment = next;
    pauses.reapply();
    flushSeeks();
    if (revoked.length > 0) callHook('onRevoked', () => handlers?.onRevoked?.(revoked));
    callHook('onAssigned', () => handlers?.onAssigned?.(next));
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    member = false;
    staleness.allMoved();
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
    const moved = staleness.snapshot(topicPartitionKey(partition));
    const isStale = () => lifecycle.closed || moved() || payload.isStale();
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
    }
    failures.delete(topicPartitionKey(partition));
    const last = batch.messages[batch.messages.length - 1];
    if (last !== undefined && !isStale()) resolveOffset(last.offset);
  }

  const connect = () => lifecycle.connect(() => consumer.connect());

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
      lifecycle.assertOpen();
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
      lifecycle.assertOpen();
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
      lifecycle.assertOpen();
      checkPartitions(partitions, 'pause()');
      pauses.pause(partitions);
    },
    resume(partitions) {
      lifecycle.assertOpen();
      checkPartitions(partitions, 'resume()');
      pauses.resume(partitions);
    },
    paused: () => pauses.paused(),
    seek(position) {
      lifecycle.assertOpen();
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
    close: () =>
      lifecycle.close(async () => {
        member = false;
        staleness.allMoved();
        pauses.clear();
        await consumer.disconnect();
        assignment = [];
      }),
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
