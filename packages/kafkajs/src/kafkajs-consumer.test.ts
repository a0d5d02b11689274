import {
  type AssignedPartition,
  type ConsumerHandlers,
  type InletError,
  InletErrorCode,
  type TopicPartition,
  type TopicPartitionOffset,
} from '@inlet/core';
import type { Batch, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createKafkaJsConsumer } from './kafkajs-consumer';

// A stand-in for the kafkajs consumer: it records calls and lets a test fire the group events
// and hand batches to the transport's eachBatch, which a real broker cannot do on cue.
function fakeKafka() {
  const listeners = new Map<string, ((event: { payload: unknown }) => void)[]>();
  const calls: string[] = [];
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  let running = false;
  const consumer = {
    events: {
      GROUP_JOIN: 'group_join',
      REBALANCING: 'rebalancing',
      CRASH: 'crash',
      REQUEST: 'request',
      START_BATCH_PROCESS: 'start_batch_process',
    },
    on(event: string, listener: (event: { payload: unknown }) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () =>
        listeners.set(
          event,
          (listeners.get(event) ?? []).filter((entry) => entry !== listener),
        );
    },
    connect: async () => undefined,
    disconnect: async () => {
      calls.push('disconnect');
      running = false;
    },
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      running = true;
    },
    commitOffsets: async (offsets: unknown) => {
      calls.push(`commit ${JSON.stringify(offsets)}`);
    },
    pause: (partitions: { topic: string; partitions: number[] }[]) => {
      if (!running) throw new Error('Consumer group was not initialized');
      calls.push(`pause ${partitions[0]?.topic}/${partitions[0]?.partitions[0]}`);
    },
    resume: (partitions: { topic: string; partitions: number[] }[]) => {
      if (!running) throw new Error('Consumer group was not initialized');
      calls.push(`resume ${partitions[0]?.topic}/${partitions[0]?.partitions[0]}`);
    },
    seek: (position: { topic: string; partition: number; offset: string }) => {
      if (!running) throw new Error('Consumer group was not initialized');
      calls.push(`seek ${position.topic}/${position.partition}@${position.offset}`);
    },
  };
  const emit = (event: string, payload: unknown) => {
    for (const listener of listeners.get(event) ?? []) listener({ payload });
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;

  async function deliver(
    partition: number,
    offsets: string[],
    options: { heartbeat?: () => Promise<void>; kafkaJsStale?: () => boolean } = {},
  ): Promise<string[]> {
    const resolved: string[] = [];
    const batch = {
      topic: 't',
      partition,
      highWatermark: '100',
      lastOffset: () => offsets.at(-1),
      messages: offsets.map(
        (offset) =>
          ({ offset, key: null, value: null, timestamp: '1', headers: {} }) as unknown as KafkaMessage,
      ),
    } as unknown as Batch;
    await (eachBatch as (payload: EachBatchPayload) => Promise<void>)({
      batch,
      resolveOffset: (offset: string) => {
        resolved.push(offset);
      },
      heartbeat: options.heartbeat ?? (async () => undefined),
      isStale: options.kafkaJsStale ?? (() => false),
    } as unknown as EachBatchPayload);
    return resolved;
  }

  return { kafka, emit, calls, deliver };
}

const retry = { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 250 };

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Lets the promise chains the transport started run (timers are fake here). */
const settle = () => vi.advanceTimersByTimeAsync(0);

const tp = (partition: number): TopicPartition => ({ topic: 't', partition });

async function started(handlers: Partial<ConsumerHandlers> = {}) {
  const fake = fakeKafka();
  const consumer = createKafkaJsConsumer(fake.kafka, retry, { groupId: 'g' });
  const seen = {
    assigned: [] as TopicPartition[][],
    revoked: [] as TopicPartition[][],
    rebalancing: 0,
    errors: [] as [InletError, boolean][],
  };
  await consumer.subscribe(['t']);
  await consumer.run({
    onBatch: async () => undefined,
    onAssigned: (assignment) => seen.assigned.push([...assignment]),
    onRevoked: (revoked) => seen.revoked.push([...revoked]),
    onRebalancing: () => {
      seen.rebalancing += 1;
    },
    onError: (error, fatal) => seen.errors.push([error, fatal]),
    ...handlers,
  });
  return { ...fake, consumer, seen };
}

describe('kafkajs consumer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('maps group joins to onAssigned and the partitions lost in between to onRevoked', async () => {
    const { emit, seen, consumer } = await started();
    emit('group_join', { memberAssignment: { t: [2, 0, 1] } });
    emit('rebalancing', { groupId: 'g', memberId: 'm' });
    emit('group_join', { memberAssignment: { t: [1] } });
    expect(seen.rebalancing).toBe(1);
    expect(seen.assigned).toEqual([
      [0, 1, 2].map((partition) => ({ topic: 't', partition })),
      [{ topic: 't', partition: 1 }],
    ]);
    expect(seen.revoked).toEqual([
      [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 2 },
      ],
    ]);
    expect(consumer.assignment()).toEqual([{ topic: 't', partition: 1 }]);
  });

  it('reports a crash, fatal when kafkajs will not restart, and drops the assignment', async () => {
    const { emit, seen, consumer } = await started();
    emit('group_join', { memberAssignment: { t: [0] } });
    const cause = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    emit('crash', { error: cause, groupId: 'g', restart: true });
    emit('crash', { error: new Error('boom'), groupId: 'g', restart: false });
    expect(seen.errors.map(([error, fatal]) => [error.code, fatal])).toEqual([
      [InletErrorCode.kafkaConnection, false],
      [InletErrorCode.kafkaProtocol, true],
    ]);
    expect(seen.revoked).toEqual([[{ topic: 't', partition: 0 }]]);
    expect(consumer.assignment()).toEqual([]);
    // kafkajs would silently drop a commit made while it rejoins.
    await expect(consumer.commit([{ topic: 't', partition: 0, offset: '1' }])).rejects.toMatchObject({
      code: InletErrorCode.kafkaRebalance,
      retryable: true,
    });
  });

  it('advances past a handled batch, and commits only what commit() is given', async () => {
    const { emit, deliver, calls, consumer } = await started();
    emit('group_join', { memberAssignment: { t: [0] } });
    expect(await deliver(0, ['5', '6', '7'])).toEqual(['7']);
    expect(calls.filter((call) => call.startsWith('commit'))).toEqual([]);
    await consumer.commit([{ topic: 't', partition: 0, offset: '8' }]);
    expect(calls).toEqual(['commit [{"topic":"t","partition":0,"offset":"8"}]']);
  });

  it('reports a rejected batch, leaves its position, and pauses the partition for a growing back-off', async () => {
    let fail = true;
    const { emit, deliver, calls, seen } = await started({
      onBatch: async () => {
        if (fail) throw new Error('handler exploded');
      },
    });
    emit('group_join', { memberAssignment: { t: [0] } });
    expect(await deliver(0, ['3', '4'])).toEqual([]);
    expect(seen.errors).toHaveLength(1);
    const [error, fatal] = seen.errors[0] as [InletError, boolean];
    expect(error).toMatchObject({ code: InletErrorCode.handlerFailed, retryable: true });
    expect((error.cause as Error).message).toBe('handler exploded');
    expect(fatal).toBe(false);
    // The connection's retry schedule, 100 ms doubling, each wait spread by up to a fifth.
    expect(calls).toEqual(['pause t/0']);
    vi.advanceTimersByTime(79);
    expect(calls).toEqual(['pause t/0']);
    vi.advanceTimersByTime(41);
    expect(calls).toEqual(['pause t/0', 'resume t/0']);
    await deliver(0, ['3', '4']);
    vi.advanceTimersByTime(159);
    expect(calls.at(-1)).toBe('pause t/0');
    vi.advanceTimersByTime(81);
    expect(calls.at(-1)).toBe('resume t/0');
    fail = false;
    expect(await deliver(0, ['3', '4'])).toEqual(['4']);
  });

  it('leaves the position of a batch whose partition was sought or rebalanced meanwhile', async () => {
    const stale: boolean[] = [];
    let during: () => void = () => undefined;
    const { emit, deliver, consumer, calls } = await started({
      onBatch: async (_batch, controls) => {
        during();
        stale.push(controls.isStale());
      },
    });
    emit('group_join', { memberAssignment: { t: [0, 1] } });
    during = () => consumer.seek({ topic: 't', partition: 0, offset: '0' });
    expect(await deliver(0, ['5'])).toEqual([]);
    expect(calls).toContain('seek t/0@0');
    during = () => undefined;
    expect(await deliver(1, ['5'])).toEqual(['5']);
    during = () => emit('rebalancing', {});
    expect(await deliver(1, ['6'])).toEqual([]);
    expect(stale).toEqual([true, false, true]);
  });

  it('tells where a fetch ended: past the markers kafkajs filtered out, and for a batch it filtered to nothing', async () => {
    const batches: { offsets: string[]; nextOffset: string }[] = [];
    const emptyHandled = deferred();
    const { emit, deliver, consumer } = await started({
      onBatch: async (batch) => {
        batches.push({ offsets: batch.records.map((record) => record.offset), nextOffset: batch.nextOffset });
        if (batch.records.length === 0) await emptyHandled.promise;
      },
    });
    emit('group_join', { memberAssignment: { t: [0, 1] } });
    const filtered = (partition: number, firstOffset: string | null, lastOffset: string) =>
      emit('start_batch_process', {
        topic: 't',
        partition,
        highWatermark: '9',
        batchSize: 0,
        firstOffset,
        lastOffset,
      });
    expect(await deliver(0, ['0', '1'])).toEqual(['1']);
    // kafkajs moves past a batch it filtered down to nothing (an aborted transaction, 3-4, and
    // its marker at 5) without waiting: the partition's next batch waits for its delivery.
    filtered(0, '3', '5');
    const next = deliver(0, ['6']);
    await settle();
    expect(batches).toEqual([
      { offsets: ['0', '1'], nextOffset: '2' },
      { offsets: [], nextOffset: '6' },
    ]);
    emptyHandled.resolve();
    expect(await next).toEqual(['6']);
    expect(batches.slice(2)).toEqual([{ offsets: ['6'], nextOffset: '7' }]);

    // After a seek, a filtered batch that does not start at the sought offset was fetched before
    // it: not delivered. One that starts there is, and so is any after it.
    batches.length = 0;
    consumer.seek({ topic: 't', partition: 1, offset: '2' });
    filtered(1, '6', '7');
    filtered(1, '2', '3');
    filtered(1, '4', '5');
    await settle();
    expect(batches).toEqual([
      { offsets: [], nextOffset: '4' },
      { offsets: [], nextOffset: '6' },
    ]);
  });

  it('treats a rebalance seen by heartbeat() as staleness, not as an error', async () => {
    const rebalancing = Object.assign(new Error('The group is rebalancing'), {
      name: 'KafkaJSProtocolError',
      type: 'REBALANCE_IN_PROGRESS',
    });
    let staleAfterHeartbeat: boolean | undefined;
    const { emit, deliver } = await started({
      onBatch: async (_batch, controls) => {
        await controls.heartbeat();
        staleAfterHeartbeat = controls.isStale();
      },
    });
    emit('group_join', { memberAssignment: { t: [0] } });
    const resolved = await deliver(0, ['1'], {
      heartbeat: async () => {
        throw rebalancing;
      },
    });
    expect(staleAfterHeartbeat).toBe(true);
    expect(resolved).toEqual([]);
  });

  it('applies pauses and seeks made before the group was joined once it is', async () => {
    const fake = fakeKafka();
    const consumer = createKafkaJsConsumer(fake.kafka, retry, { groupId: 'g' });
    await consumer.subscribe(['t']);
    consumer.pause([{ topic: 't', partition: 0 }]);
    consumer.seek({ topic: 't', partition: 1, offset: '42' });
    expect(fake.calls).toEqual([]);
    await consumer.run({ onBatch: async () => undefined });
    fake.emit('group_join', { memberAssignment: { t: [0, 1] } });
    expect(fake.calls).toEqual(['pause t/0', 'seek t/1@42']);
    expect(consumer.paused()).toEqual([{ topic: 't', partition: 0 }]);
  });

  it('keeps a throwing hook from reaching kafkajs and reports it', async () => {
    const { emit, seen } = await started({
      onAssigned: () => {
        throw new Error('hook bug');
      },
    });
    expect(() => emit('group_join', { memberAssignment: { t: [0] } })).not.toThrow();
    expect(seen.errors[0]?.[0]).toMatchObject({ code: InletErrorCode.handlerFailed });
  });

  describe('partition lifecycle hooks', () => {
    it('holds a new assignment from inside the join until its hook settles, then seeks and resumes', async () => {
      const hook = deferred<readonly TopicPartitionOffset[]>();
      const order: string[] = [];
      const given: AssignedPartition[][] = [];
      const delivered: string[] = [];
      const { emit, calls, deliver } = await started({
        onPartitionsAssigned: (partitions) => {
          order.push('hook');
          given.push([...partitions]);
          return hook.promise;
        },
        onAssigned: () => order.push('onAssigned'),
        onBatch: async (batch) => {
          delivered.push(`${batch.partition}@${batch.records[0]?.offset}`);
        },
      });
      emit('group_join', { memberAssignment: { t: [0, 1] }, memberId: 'm1' });
      // Paused before the listener returned, so before kafkajs's first fetch of them.
      expect(calls).toEqual(expect.arrayContaining(['pause t/0', 'pause t/1']));
      expect(calls.some((call) => call.startsWith('resume'))).toBe(false);
      expect(order).toEqual(['hook', 'onAssigned']);
      expect(given).toEqual([
        [
          { ...tp(0), isNew: true },
          { ...tp(1), isNew: true },
        ],
      ]);
      // A batch fetched anyway (by another broker's fetcher) is not delivered, and not resolved.
      expect(await deliver(0, ['0'])).toEqual([]);
      expect(delivered).toEqual([]);

      calls.length = 0;
      hook.resolve([{ topic: 't', partition: 0, offset: '5' }]);
      await settle();
      expect(calls).toEqual(['seek t/0@5', 'resume t/0', 'resume t/1']);
      expect(await deliver(0, ['5'])).toEqual(['5']);
      expect(delivered).toEqual(['0@5']);
    });

    it('keeps what the user paused paused when the hook settles, and reports a hook that fails', async () => {
      const { emit, calls, consumer, seen } = await started({
        onPartitionsAssigned: async () => {
          throw new Error('no checkpoint store');
        },
      });
      consumer.pause([tp(1)]);
      emit('group_join', { memberAssignment: { t: [0, 1] } });
      calls.length = 0;
      await settle();
      expect(calls).toEqual(['resume t/0']);
      expect(consumer.paused()).toEqual([tp(1)]);
      expect(seen.errors.map(([error, fatal]) => [error.code, fatal])).toEqual([
        [InletErrorCode.handlerFailed, false],
      ]);
      expect(seen.errors[0]?.[0].cause).toEqual(new Error('no checkpoint store'));
    });

    it('drops the offsets of a hook overtaken by a rebalance, and tells isNew from the last assignment', async () => {
      const first = deferred<readonly TopicPartitionOffset[]>();
      const given: AssignedPartition[][] = [];
      const { emit, calls } = await started({
        onPartitionsAssigned: (partitions) => {
          given.push([...partitions]);
          return given.length === 1 ? first.promise : Promise.resolve(undefined);
        },
      });
      emit('group_join', { memberAssignment: { t: [0, 1] }, memberId: 'm1' });
      emit('rebalancing', {});
      emit('group_join', { memberAssignment: { t: [1, 2] }, memberId: 'm1' });
      await settle();
      calls.length = 0;
      first.resolve([{ topic: 't', partition: 1, offset: '9' }]);
      await settle();
      expect(calls).toEqual([]);
      expect(given[1]).toEqual([
        { ...tp(1), isNew: false },
        { ...tp(2), isNew: true },
      ]);
      // A new member id means kafkajs lost its membership in between: nothing is kept.
      emit('group_join', { memberAssignment: { t: [1, 2] }, memberId: 'm2' });
      expect(given[2]).toEqual([
        { ...tp(1), isNew: true },
        { ...tp(2), isNew: true },
      ]);
    });

    it('calls the revoking hook when kafkajs reports a rebalance, and announces the next assignment after it', async () => {
      const revoking = deferred();
      const revoked: TopicPartition[][] = [];
      const { emit, calls, seen } = await started({
        onPartitionsRevoking: (partitions) => {
          revoked.push([...partitions]);
          return revoking.promise;
        },
      });
      emit('group_join', { memberAssignment: { t: [0, 1] } });
      emit('rebalancing', {});
      expect(revoked).toEqual([[tp(0), tp(1)]]);
      calls.length = 0;
      emit('group_join', { memberAssignment: { t: [1] } });
      // Held until the owner has given the old assignment up.
      expect(calls).toEqual(['pause t/1', 'pause t/1']);
      expect(seen.assigned).toHaveLength(1);
      revoking.resolve();
      await settle();
      expect(seen.revoked).toEqual([[tp(0)]]);
      expect(seen.assigned.at(-1)).toEqual([tp(1)]);
      expect(calls.at(-1)).toBe('resume t/1');
      expect(revoked).toHaveLength(1);
    });

    it('calls the revoking hook when kafkajs begins a join of its own, and on a crash', async () => {
      const revoked: TopicPartition[][] = [];
      const { emit } = await started({
        onPartitionsRevoking: async (partitions) => {
          revoked.push([...partitions]);
        },
      });
      emit('request', { apiName: 'GroupCoordinator' });
      emit('group_join', { memberAssignment: { t: [0] }, memberId: 'm1' });
      emit('request', { apiName: 'Fetch' });
      expect(revoked).toEqual([]);
      // kafkajs rejoins after stale metadata without a REBALANCING event; its join asks for the
      // coordinator first, before JoinGroup.
      emit('request', { apiName: 'GroupCoordinator' });
      expect(revoked).toEqual([[tp(0)]]);
      emit('request', { apiName: 'GroupCoordinator' });
      emit('group_join', { memberAssignment: { t: [0, 1] }, memberId: 'm1' });
      expect(revoked).toEqual([[tp(0)]]);
      // A join that asked no coordinator is still preceded by the hook.
      emit('group_join', { memberAssignment: { t: [0, 1] }, memberId: 'm2' });
      expect(revoked).toEqual([[tp(0)], [tp(0), tp(1)]]);
      // kafkajs has left the group when it reports a crash: the hook is told then.
      emit('crash', { error: new Error('boom'), groupId: 'g', restart: true });
      expect(revoked.at(-1)).toEqual([tp(0), tp(1)]);
      emit('request', { apiName: 'GroupCoordinator' });
      emit('group_join', { memberAssignment: { t: [0] }, memberId: 'm3' });
      expect(revoked).toHaveLength(3);
    });

    it('calls the revoking hook from close() after the batches in flight, and leaves after it', async () => {
      const batch = deferred();
      const revoking = deferred();
      let consumerRef: { commit(offsets: readonly TopicPartitionOffset[]): Promise<void> } | undefined;
      const revoked: TopicPartition[][] = [];
      const { emit, calls, deliver, consumer } = await started({
        onBatch: () => batch.promise,
        onPartitionsRevoking: async (partitions) => {
          revoked.push([...partitions]);
          await consumerRef?.commit([{ topic: 't', partition: 0, offset: '8' }]);
          await revoking.promise;
        },
      });
      consumerRef = consumer;
      emit('group_join', { memberAssignment: { t: [0] } });
      const delivering = deliver(0, ['7']);
      const closing = consumer.close();
      await settle();
      expect(revoked).toEqual([]);
      expect(() => consumer.pause([tp(0)])).toThrow(expect.objectContaining({ code: InletErrorCode.closed }));
      // No batch after close() began.
      expect(await deliver(0, ['8'])).toEqual([]);
      batch.resolve();
      await delivering;
      await settle();
      expect(revoked).toEqual([[tp(0)]]);
      expect(calls).toContain('commit [{"topic":"t","partition":0,"offset":"8"}]');
      expect(calls).not.toContain('disconnect');
      revoking.resolve();
      await closing;
      expect(calls.at(-1)).toBe('disconnect');
    });

    it('goes on without a revoking hook that does not settle within rebalanceTimeoutMs', async () => {
      const fake = fakeKafka();
      const consumer = createKafkaJsConsumer(fake.kafka, retry, { groupId: 'g', rebalanceTimeoutMs: 1_000 });
      const errors: InletError[] = [];
      const assigned: TopicPartition[][] = [];
      await consumer.subscribe(['t']);
      await consumer.run({
        onBatch: async () => undefined,
        onPartitionsRevoking: () => new Promise<void>(() => undefined),
        onAssigned: (assignment) => assigned.push([...assignment]),
        onError: (error) => errors.push(error),
      });
      fake.emit('group_join', { memberAssignment: { t: [0] } });
      fake.emit('rebalancing', {});
      fake.emit('group_join', { memberAssignment: { t: [0] } });
      await vi.advanceTimersByTimeAsync(999);
      expect(assigned).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(assigned).toHaveLength(2);
      expect(errors.map((error) => error.code)).toEqual([InletErrorCode.timeout]);
      const closing = consumer.close();
      await vi.advanceTimersByTimeAsync(1_000);
      await closing;
      expect(fake.calls.at(-1)).toBe('disconnect');
    });
  });

  it('refuses calls after close', async () => {
    const { consumer } = await started();
    await consumer.close();
    await consumer.close();
    expect(() => consumer.pause([{ topic: 't', partition: 0 }])).toThrow(
      expect.objectContaining({ code: InletErrorCode.closed }),
    );
    await expect(consumer.commit([])).rejects.toMatchObject({ code: InletErrorCode.closed });
  });
});
