import { type ConsumerHandlers, type InletError, InletErrorCode, type TopicPartition } from '@inlet/core';
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
    events: { GROUP_JOIN: 'group_join', REBALANCING: 'rebalancing', CRASH: 'crash' },
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
