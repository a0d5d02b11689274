import {
  type ConsumerHandlers,
  InletError,
  InletErrorCode,
  type KafkaTransport,
  type TransportAdmin,
  type TransportConsumer,
  type TransportProducer,
  type TransportTransaction,
} from '@inlet/core';

// A crash of an instance on the in-memory backbone, where there is no process to kill: its
// transport stops answering. From the crash on, every call it makes to the broker (produce,
// transaction, commit, admin) and every batch or hook the broker hands it never settles, as if
// the process had stopped mid-stride. Its group member is then silent inside a batch, so the
// backbone removes it once its session times out, and its open transactions stay open until the
// next owner's transactional producer fences them: what a SIGKILL leaves on a real broker.

export interface CrashableTransport {
  readonly transport: KafkaTransport;
  /** The instance stops here: nothing it started settles, nothing new reaches the broker. */
  crash(): void;
  /** It stops at its next transaction commit: that transaction's records are on the broker, uncommitted. */
  crashAtNextCommit(): void;
  /**
   * At the first batch that brings the records handed to it to `events` or more while `ready()`
   * holds: it stops as that batch arrives (`'at once'`), or at its next transaction commit.
   * A crash at a point of the input, however fast the instance runs.
   */
  crashAfterEvents(events: number, at: 'at once' | 'at a commit', ready?: () => boolean): void;
  crashed(): boolean;
  /** Transactions begun and neither committed nor aborted (at a crash: left open on the broker). */
  openTransactions(): number;
  /** For the test's cleanup: what hangs rejects, so that the backbone can close its members. */
  release(): void;
}

/**
 * Wraps `inner` for one instance, which crashes when told. `batchDelayMs` holds each batch that
 * long before handing it over: the instance's checkpoint timer then runs between its batches
 * however fast it handles them, so that a crash point "after N events and K checkpoints" is
 * reached before the input runs out.
 */
export function crashableTransport(
  inner: KafkaTransport,
  options: { readonly batchDelayMs?: number } = {},
): CrashableTransport {
  const batchDelayMs = options.batchDelayMs ?? 0;
  let crashed = false;
  let atNextCommit = false;
  let crashPoint:
    | { readonly events: number; readonly at: 'at once' | 'at a commit'; readonly ready: () => boolean }
    | undefined;
  let eventsHanded = 0;
  let released = false;
  let openTransactions = 0;
  const consumers: TransportConsumer[] = [];
  const hanging: ((error: unknown) => void)[] = [];
  const gone = () => new InletError(InletErrorCode.closed, 'the instance crashed');

  /** What a call made after the crash gets: a promise that settles only on release. */
  function hang<T>(): Promise<T> {
    if (released) return Promise.reject(gone());
    return new Promise<T>((_, reject) => hanging.push(reject));
  }

  /**
   * The backbone takes a member for alive unless it is stuck in a batch. At the crash every
   * partition is resumed (the consumer may have paused them for backpressure), so that the next
   * batch fetched is where the member is stuck, and its session lapses.
   */
  function crash(): void {
    if (crashed) return;
    crashed = true;
    for (const each of consumers) {
      try {
        each.resume(each.assignment());
      } catch {
        // Closed already (a restore reader): nothing to resume.
      }
    }
  }

  /** Runs a call unless crashed; a call that settles after the crash never settles for the caller. */
  function gated<T>(call: () => Promise<T>): Promise<T> {
    if (crashed) return hang();
    return call().then(
      (value) => (crashed ? hang<T>() : value),
      (error: unknown) => (crashed ? hang<T>() : Promise.reject(error)),
    );
  }

  function transaction(inner: TransportTransaction): TransportTransaction {
    openTransactions++;
    const ended = <T>(value: T) => {
      openTransactions--;
      return value;
    };
    return {
      send: (records, sendOptions) => gated(() => inner.send(records, sendOptions)),
      sendOffsets: (groupId, offsets) => gated(() => inner.sendOffsets(groupId, offsets)),
      commit: () => {
        // Its records were sent; the commit never goes out.
        if (atNextCommit) crash();
        return gated(() => inner.commit().then(ended));
      },
      abort: () => gated(() => inner.abort().then(ended)),
      get isActive() {
        return inner.isActive;
      },
    };
  }

  function producer(inner: TransportProducer): TransportProducer {
    const close = () => gated(() => inner.close());
    return {
      connect: () => gated(() => inner.connect()),
      send: (records, sendOptions) => gated(() => inner.send(records, sendOptions)),
      transaction: () => gated(async () => transaction(await inner.transaction())),
      partitionCount: (topic) => gated(() => inner.partitionCount(topic)),
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  function handlers(given: ConsumerHandlers): ConsumerHandlers {
    const alive = (call: () => void) => () => {
      if (!crashed) call();
    };
    return {
      onBatch: (batch, controls) => {
        eventsHanded += batch.records.length;
        if (crashPoint !== undefined && eventsHanded >= crashPoint.events && crashPoint.ready()) {
          if (crashPoint.at === 'at once') crash();
          else atNextCommit = true;
          crashPoint = undefined;
        }
        // A crashed process sends no heartbeats, even from a batch it was in the middle of.
        const silenced = {
          heartbeat: () => gated(() => controls.heartbeat()),
          isStale: () => controls.isStale(),
        };
        if (batchDelayMs === 0) return gated(() => given.onBatch(batch, silenced));
        return gated(async () => {
          await new Promise((resolve) => setTimeout(resolve, batchDelayMs));
          return given.onBatch(batch, silenced);
        });
      },
      ...(given.onRebalancing === undefined ? {} : { onRebalancing: alive(() => given.onRebalancing?.()) }),
      ...(given.onAssigned === undefined
        ? {}
        : { onAssigned: (assignment) => alive(() => given.onAssigned?.(assignment))() }),
      ...(given.onRevoked === undefined
        ? {}
        : { onRevoked: (revoked) => alive(() => given.onRevoked?.(revoked))() }),
      ...(given.onPartitionsAssigned === undefined
        ? {}
        : {
            onPartitionsAssigned: (partitions) =>
              gated(async () => given.onPartitionsAssigned?.(partitions) ?? undefined),
          }),
      ...(given.onPartitionsRevoking === undefined
        ? {}
        : {
            onPartitionsRevoking: (partitions) => gated(async () => given.onPartitionsRevoking?.(partitions)),
          }),
      ...(given.onError === undefined
        ? {}
        : { onError: (error, fatal) => alive(() => given.onError?.(error, fatal))() }),
    };
  }

  function consumer(inner: TransportConsumer): TransportConsumer {
    consumers.push(inner);
    const close = () => gated(() => inner.close());
    return {
      connect: () => gated(() => inner.connect()),
      subscribe: (topics) => gated(() => inner.subscribe(topics)),
      run: (given) => gated(() => inner.run(handlers(given))),
      commit: (offsets) => gated(() => inner.commit(offsets)),
      pause: (partitions) => (crashed ? undefined : inner.pause(partitions)),
      resume: (partitions) => (crashed ? undefined : inner.resume(partitions)),
      paused: () => inner.paused(),
      seek: (position) => (crashed ? undefined : inner.seek(position)),
      assignment: () => inner.assignment(),
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  function admin(inner: TransportAdmin): TransportAdmin {
    const close = () => gated(() => inner.close());
    return {
      connect: () => gated(() => inner.connect()),
      createTopics: (topics) => gated(() => inner.createTopics(topics)),
      deleteTopics: (topics) => gated(() => inner.deleteTopics(topics)),
      listTopics: () => gated(() => inner.listTopics()),
      partitionCount: (topic) => gated(() => inner.partitionCount(topic)),
      topicOffsets: (topic) => gated(() => inner.topicOffsets(topic)),
      offsetsForTimestamp: (topic, timestamp) => gated(() => inner.offsetsForTimestamp(topic, timestamp)),
      groupOffsets: (groupId, topic) => gated(() => inner.groupOffsets(groupId, topic)),
      setGroupOffsets: (groupId, offsets) => gated(() => inner.setGroupOffsets(groupId, offsets)),
      describeGroup: (groupId) => gated(() => inner.describeGroup(groupId)),
      deleteGroup: (groupId) => gated(() => inner.deleteGroup(groupId)),
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  // The backbone under it is the test's to close.
  const close = () => Promise.resolve();
  const transport: KafkaTransport = {
    kind: `crashable ${inner.kind}`,
    producer: (producerOptions) => producer(inner.producer(producerOptions)),
    consumer: (consumerOptions) => consumer(inner.consumer(consumerOptions)),
    admin: () => admin(inner.admin()),
    close,
    [Symbol.asyncDispose]: close,
  };
  return {
    transport,
    crash,
    crashAtNextCommit: () => {
      atNextCommit = true;
    },
    crashAfterEvents: (events, at, ready = () => true) => {
      crashPoint = { events, at, ready };
    },
    crashed: () => crashed,
    openTransactions: () => openTransactions,
    release: () => {
      released = true;
      for (const reject of hanging.splice(0)) reject(gone());
    },
  };
}
