import {
  type BatchControls,
  type ConsumerHandlers,
  type IncomingBatch,
  InletError,
  InletErrorCode,
  type InletKafkaError,
  type KafkaTransport,
  type RecordAck,
  type TopicPartition,
  type TransportConsumer,
  type TransportConsumerOptions,
  type TransportProducer,
  type TransportTransaction,
} from '@inlet/core';
import { describeTransportContract } from '@inlet/core/transport-contract';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createInMemoryBackbone, type InMemoryBackboneOptions } from './in-memory-backbone';

describeTransportContract('in-memory backbone', { create: () => createInMemoryBackbone() });

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

/** Resolves waits when a condition becomes true after an event; the timeout only bounds a failure. */
class Watch {
  private readonly waiters: { check: () => boolean; done: () => void }[] = [];

  changed(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.check()) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.done();
    }
  }

  until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        check,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

type BatchHook = (batch: IncomingBatch, controls: BatchControls) => Promise<void> | void;

interface Recorder {
  readonly consumer: TransportConsumer;
  readonly batches: IncomingBatch[];
  readonly errors: InletError[];
  readonly assignments: (readonly TopicPartition[])[];
  readonly revocations: (readonly TopicPartition[])[];
  readonly rebalances: number[];
  readonly watch: Watch;
  values(): string[];
}

let sequence = 0;
function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}`;
}

const transports: KafkaTransport[] = [];

function backbone(options: InMemoryBackboneOptions = {}): KafkaTransport {
  const transport = createInMemoryBackbone(options);
  transports.push(transport);
  return transport;
}

afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
});

type LifecycleHooks = Pick<ConsumerHandlers, 'onPartitionsAssigned' | 'onPartitionsRevoking'>;

function recorder(
  transport: KafkaTransport,
  options: TransportConsumerOptions,
  hook: BatchHook = () => undefined,
  lifecycle: LifecycleHooks = {},
): { recorder: Recorder; consumer: TransportConsumer; run(topics: readonly string[]): Promise<void> } {
  const consumer = transport.consumer(options);
  const watch = new Watch();
  const rec: Recorder = {
    consumer,
    batches: [],
    errors: [],
    assignments: [],
    revocations: [],
    rebalances: [],
    watch,
    values: () => rec.batches.flatMap((batch) => batch.records.map((record) => String(record.value))),
  };
  const run = async (topics: readonly string[]) => {
    await consumer.subscribe(topics);
    await consumer.run({
      onBatch: async (batch, controls) => {
        await hook(batch, controls);
        rec.batches.push(batch);
        watch.changed();
      },
      onRebalancing: () => {
        rec.rebalances.push(Date.now());
        watch.changed();
      },
      onAssigned: (assignment) => {
        rec.assignments.push(assignment);
        watch.changed();
      },
      onRevoked: (revoked) => {
        rec.revocations.push(revoked);
        watch.changed();
      },
      onError: (error) => {
        rec.errors.push(error);
        watch.changed();
      },
      ...lifecycle,
    });
  };
  return { recorder: rec, consumer, run };
}

async function topicWith(transport: KafkaTransport, partitions: number): Promise<string> {
  const topic = unique('topic');
  await transport.admin().createTopics([{ topic, partitions }]);
  return topic;
}

async function rejection(promise: Promise<unknown>): Promise<InletError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!InletError.is(error)) throw new Error(`expected an InletError, got ${String(error)}`);
  return error;
}

function refedTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe('in-memory backbone: transactions', () => {
  it('gives each transaction marker an offset: one committed record leaves the high watermark at 2', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer({ transactionalId: unique('tx') });
    const transaction = await producer.transaction();
    const [ack] = await transaction.send([{ topic, key: Buffer.from('k'), value: Buffer.from('one') }]);
    await transaction.commit();
    expect(ack?.offset).toBe('0');
    const admin = transport.admin();
    expect(await admin.topicOffsets(topic)).toEqual([{ partition: 0, low: '0', high: '2' }]);

    const aborted = await producer.transaction();
    await aborted.send([{ topic, key: Buffer.from('k'), value: Buffer.from('two') }]);
    await aborted.abort();
    const [next] = await producer.send([{ topic, key: Buffer.from('k'), value: Buffer.from('three') }]);
    expect(next?.offset).toBe('4');

    const uncommitted = recorder(transport, { groupId: unique('group'), isolation: 'read_uncommitted' });
    await uncommitted.run([topic]);
    await uncommitted.recorder.watch.until(() => uncommitted.recorder.values().length === 3, 'three records');
    const offsets = uncommitted.recorder.batches.flatMap((batch) =>
      batch.records.map((record) => record.offset),
    );
    expect(offsets).toEqual(['0', '2', '4']);
    expect(uncommitted.recorder.values()).toEqual(['one', 'two', 'three']);
  });

  it('fences the first producer when a second one takes its transactional id', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const transactionalId = unique('tx');
    const first = transport.producer({ transactionalId });
    const zombie = await first.transaction();
    await zombie.send([{ topic, key: null, value: Buffer.from('zombie') }]);

    const second = transport.producer({ transactionalId });
    const successor = await second.transaction();
    expect(zombie.isActive).toBe(false);
    for (const call of [
      zombie.send([{ topic, key: null, value: Buffer.from('late') }]),
      zombie.commit(),
      first.transaction(),
      first.send([{ topic, key: null, value: Buffer.from('plain') }]),
    ]) {
      const error = await rejection(call);
      expect(error.code).toBe(InletErrorCode.kafkaFenced);
      expect((error as InletKafkaError).kafkaErrorType).toBe('PRODUCER_FENCED');
    }

    await successor.send([{ topic, key: null, value: Buffer.from('successor') }]);
    await successor.commit();
    const committed = recorder(transport, { groupId: unique('group') });
    await committed.run([topic]);
    await committed.recorder.watch.until(
      () => committed.recorder.values().length >= 1,
      'the committed record',
    );
    expect(committed.recorder.values()).toEqual(['successor']);
    // zombie record, its abort marker, the successor's record and its commit marker
    expect((await transport.admin().topicOffsets(topic))[0]?.high).toBe('4');
  });

  it('allows one open transaction per producer', async () => {
    const transport = backbone();
    const producer = transport.producer({ transactionalId: unique('tx') });
    const open = await producer.transaction();
    expect((await rejection(producer.transaction())).code).toBe(InletErrorCode.invalidOption);
    await open.abort();
    const next = await producer.transaction();
    expect(next.isActive).toBe(true);
    expect((await rejection(open.commit())).code).toBe(InletErrorCode.closed);
  });

  it('aborts a transaction left open past its timeout and fences the producer that left it', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer({ transactionalId: unique('tx'), transactionTimeoutMs: 50 });
    const abandoned = await producer.transaction();
    await abandoned.send([{ topic, key: null, value: Buffer.from('abandoned') }]);
    await transport.producer().send([{ topic, key: null, value: Buffer.from('after') }]);

    const reader = recorder(transport, { groupId: unique('group') });
    await reader.run([topic]);
    // The plain record sits behind the open transaction until the broker aborts it.
    await reader.recorder.watch.until(
      () => reader.recorder.values().length >= 1,
      'the record after the timeout',
    );
    expect(reader.recorder.values()).toEqual(['after']);
    expect(abandoned.isActive).toBe(false);
    const error = await rejection(abandoned.commit());
    expect(error.code).toBe(InletErrorCode.kafkaFenced);
    expect((error as InletKafkaError).kafkaErrorType).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('aborts the open transaction when its producer closes', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer({ transactionalId: unique('tx') });
    const transaction = await producer.transaction();
    await transaction.send([{ topic, key: null, value: Buffer.from('dropped') }]);
    await producer.close();
    expect(transaction.isActive).toBe(false);
    expect((await transport.admin().topicOffsets(topic))[0]?.high).toBe('2');
  });
});

describe('in-memory backbone: producing', () => {
  it('rejects a timestamp further ahead than maxTimestampAheadMs and appends nothing from that send', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer();
    const now = Date.now();
    const error = await rejection(
      producer.send([
        { topic, key: null, value: Buffer.from('fine'), timestamp: now },
        { topic, key: null, value: Buffer.from('future'), timestamp: now + 2 * 3_600_000 },
      ]),
    );
    expect(error.code).toBe(InletErrorCode.kafkaInvalidRecord);
    expect(error.retryable).toBe(false);
    expect((await transport.admin().topicOffsets(topic))[0]?.high).toBe('0');
    const [ack] = await producer.send([
      { topic, key: null, value: Buffer.from('soon'), timestamp: now + 1_800_000 },
    ]);
    expect(ack?.offset).toBe('0');
  });

  it('honours maxTimestampAheadMs and a topic config overriding it', async () => {
    const transport = backbone({ maxTimestampAheadMs: 1_000 });
    const admin = transport.admin();
    const strict = unique('topic');
    const lenient = unique('topic');
    await admin.createTopics([
      { topic: strict, partitions: 1 },
      { topic: lenient, partitions: 1, config: { 'message.timestamp.after.max.ms': '86400000' } },
    ]);
    const producer = transport.producer();
    const timestamp = Date.now() + 60_000;
    const error = await rejection(producer.send([{ topic: strict, key: null, value: null, timestamp }]));
    expect(error.code).toBe(InletErrorCode.kafkaInvalidRecord);
    expect(await producer.send([{ topic: lenient, key: null, value: null, timestamp }])).toHaveLength(1);
  });

  it('fails on an unknown topic when auto-creation is off, not retryably, naming the topic', async () => {
    const transport = backbone({ autoCreateTopics: false });
    const missing = unique('missing');
    const error = await rejection(transport.producer().send([{ topic: missing, key: null, value: null }]));
    expect(error.code).toBe(InletErrorCode.kafkaUnknownTopic);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`"${missing}"`);
    const consumer = transport.consumer({ groupId: unique('group') });
    expect((await rejection(consumer.subscribe([unique('missing')]))).code).toBe(
      InletErrorCode.kafkaUnknownTopic,
    );
  });

  it('creates topics on first use with defaultPartitions, when made with autoCreateTopics', async () => {
    const transport = backbone({ defaultPartitions: 3, autoCreateTopics: true });
    const topic = unique('auto');
    const producer = transport.producer();
    expect(await producer.partitionCount(topic)).toBe(3);
    expect(await transport.admin().listTopics()).toContain(topic);
  });

  it('creates no topic on first use by default, as with the kafkajs transport', async () => {
    const transport = backbone({ defaultPartitions: 3 });
    const topic = unique('not-auto');
    const error = await rejection(transport.producer().partitionCount(topic));
    expect(error).toMatchObject({ code: InletErrorCode.kafkaUnknownTopic, retryable: false });
    expect(await transport.admin().listTopics()).not.toContain(topic);
  });

  it('refuses an explicit partition out of range, a bad topic name and a size over maxRecordBytes', async () => {
    const transport = backbone({ maxRecordBytes: 10 });
    const topic = await topicWith(transport, 2);
    const producer = transport.producer();
    const outOfRange = await rejection(producer.send([{ topic, key: null, value: null, partition: 2 }]));
    expect(outOfRange.code).toBe(InletErrorCode.kafkaUnknownTopic);
    const badName = await rejection(producer.send([{ topic: 'no spaces', key: null, value: null }]));
    expect(badName.code).toBe(InletErrorCode.invalidOption);
    // 1 + 5 + ('h' + 4) = 11 bytes: headers count towards the limit
    const tooLarge = await rejection(
      producer.send([{ topic, key: Buffer.from('k'), value: Buffer.from('value'), headers: { h: 'head' } }]),
    );
    expect(tooLarge.code).toBe(InletErrorCode.kafkaMessageTooLarge);
    expect((await transport.admin().topicOffsets(topic)).map((partition) => partition.high)).toEqual([
      '0',
      '0',
    ]);
  });

  it('deals null-keyed records round-robin and honours an aborted signal', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 3);
    const producer = transport.producer();
    const acks = await producer.send(Array.from({ length: 6 }, () => ({ topic, key: null, value: null })));
    expect(acks.map((ack) => ack.partition)).toEqual([0, 1, 2, 0, 1, 2]);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const error = await rejection(
      producer.send([{ topic, key: null, value: null }], { signal: controller.signal }),
    );
    expect(error.code).toBe(InletErrorCode.aborted);
  });

  it('keeps the log safe from buffers changed by the producer or by a consumer', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const value = Buffer.from('original');
    await transport.producer().send([{ topic, key: null, value, headers: { h: Buffer.from('header') } }]);
    value.write('XXXXXXXX');

    const vandal = recorder(transport, { groupId: unique('group') }, (batch) => {
      batch.records[0]?.value?.write('YYYYYYYY');
      batch.records[0]?.headers.h?.write('ZZZZZZ');
    });
    await vandal.run([topic]);
    await vandal.recorder.watch.until(() => vandal.recorder.batches.length === 1, 'the vandal batch');
    const reader = recorder(transport, { groupId: unique('group') });
    await reader.run([topic]);
    await reader.recorder.watch.until(() => reader.recorder.batches.length === 1, 'the reader batch');
    const record = reader.recorder.batches[0]?.records[0];
    expect(record?.value?.toString()).toBe('original');
    expect(record?.headers.h?.toString()).toBe('header');
    expect(Object.isFrozen(record)).toBe(true);
  });
});

describe('in-memory backbone: consumer groups', () => {
  it('expels a member stuck in onBatch without heartbeats past sessionTimeoutMs, then takes it back', async () => {
    const transport = backbone({ minSessionTimeoutMs: 10 });
    const topic = await topicWith(transport, 2);
    const groupId = unique('group');
    const release = deferred();
    const stuck = deferred<BatchControls>();
    const slow = recorder(
      transport,
      { groupId, sessionTimeoutMs: 100, heartbeatIntervalMs: 20 },
      async (_batch, controls) => {
        if (slow.recorder.errors.length === 0) {
          stuck.resolve(controls);
          await release.promise;
        }
      },
    );
    await slow.run([topic]);
    const healthy = recorder(transport, { groupId });
    await healthy.run([topic]);
    await healthy.recorder.watch.until(
      () => healthy.recorder.assignments.at(-1)?.length === 1,
      'a shared group',
    );

    await transport.producer().send([{ topic, key: null, value: Buffer.from('held'), partition: 0 }]);
    const controls = await stuck.promise;
    await slow.recorder.watch.until(() => slow.recorder.errors.length > 0, 'the expulsion');
    const [expelled] = slow.recorder.errors;
    expect(expelled?.code).toBe(InletErrorCode.kafkaRebalance);
    expect((expelled as InletKafkaError).kafkaErrorType).toBe('UNKNOWN_MEMBER_ID');
    expect(controls.isStale()).toBe(true);
    expect(slow.consumer.assignment()).toEqual([]);
    await healthy.recorder.watch.until(
      () => healthy.recorder.assignments.at(-1)?.length === 2,
      'the takeover',
    );
    const description = await transport.admin().describeGroup(groupId);
    expect(description.state).toBe('Stable');
    expect(description.members).toHaveLength(1);
    // The survivor starts the partition from the committed offset (none: earliest) and gets the record.
    await healthy.recorder.watch.until(() => healthy.recorder.values().includes('held'), 'the held record');

    const assignmentsBefore = slow.recorder.assignments.length;
    release.resolve();
    await slow.recorder.watch.until(() => slow.recorder.assignments.length > assignmentsBefore, 'the rejoin');
    expect(slow.recorder.assignments.at(-1)).toHaveLength(1);
    expect((await transport.admin().describeGroup(groupId)).members).toHaveLength(2);
  });

  it('keeps a member whose long batch calls heartbeat()', async () => {
    const transport = backbone({ minSessionTimeoutMs: 10 });
    const topic = await topicWith(transport, 1);
    const groupId = unique('group');
    const worker = recorder(
      transport,
      { groupId, sessionTimeoutMs: 250, heartbeatIntervalMs: 50 },
      async (_batch, controls) => {
        // Work for two session timeouts, heartbeating in between.
        for (let step = 0; step < 20; step += 1) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          await controls.heartbeat();
        }
      },
    );
    await worker.run([topic]);
    const memberId = (await transport.admin().describeGroup(groupId)).members[0]?.memberId;
    await transport.producer().send([{ topic, key: null, value: Buffer.from('long') }]);
    await worker.recorder.watch.until(() => worker.recorder.batches.length === 1, 'the long batch', 10_000);
    expect(worker.recorder.errors).toEqual([]);
    expect((await transport.admin().describeGroup(groupId)).members.map((member) => member.memberId)).toEqual(
      [memberId],
    );
  });

  it('refuses commits during a rebalance and from a member left behind with a stale generation', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 2);
    const groupId = unique('group');
    const release = deferred();
    const started = deferred<BatchControls>();
    const options = { groupId, rebalanceTimeoutMs: 100 };
    const slow = recorder(transport, options, async (_batch, controls) => {
      if (slow.recorder.errors.length === 0) {
        started.resolve(controls);
        await release.promise;
      }
    });
    await slow.run([topic]);
    const [owned] = slow.recorder.assignments;
    expect(owned).toHaveLength(2);
    await transport.producer().send([{ topic, key: null, value: Buffer.from('x'), partition: 0 }]);
    const controls = await started.promise;
    await slow.consumer.commit([{ topic, partition: 0, offset: '1' }]);
    expect(controls.isStale()).toBe(false);

    const joiner = recorder(transport, options);
    const joined = joiner.run([topic]);
    await slow.recorder.watch.until(() => slow.recorder.rebalances.length === 2, 'the second rebalance');
    const during = await rejection(slow.consumer.commit([{ topic, partition: 0, offset: '1' }]));
    expect(during.code).toBe(InletErrorCode.kafkaRebalance);
    expect(during.retryable).toBe(true);
    expect((during as InletKafkaError).kafkaErrorType).toBe('REBALANCE_IN_PROGRESS');
    // The eager protocol revokes everything when a rebalance begins; a heartbeat is no error.
    expect(controls.isStale()).toBe(true);
    await controls.heartbeat();

    // The slow member does not finish within rebalanceTimeoutMs: the group moves on without it.
    await joined;
    expect(joiner.consumer.assignment()).toHaveLength(2);
    const stale = await rejection(slow.consumer.commit([{ topic, partition: 0, offset: '1' }]));
    expect(stale.code).toBe(InletErrorCode.kafkaRebalance);
    expect((stale as InletKafkaError).kafkaErrorType).toBe('UNKNOWN_MEMBER_ID');
    release.resolve();
    await slow.recorder.watch.until(() => slow.consumer.assignment().length === 1, 'the rejoin');
  });

  it('runs at most partitionsConsumedConcurrently batches at once and splits by maxBytesPerPartition', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 4);
    const producer = transport.producer();
    await producer.send(
      [0, 1, 2, 3].flatMap((partition) =>
        Array.from({ length: 4 }, () => ({ topic, key: null, value: Buffer.alloc(100), partition })),
      ),
    );
    let running = 0;
    let mostAtOnce = 0;
    const reader = recorder(
      transport,
      { groupId: unique('group'), partitionsConsumedConcurrently: 2, maxBytesPerPartition: 250 },
      async () => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
    );
    await reader.run([topic]);
    await reader.recorder.watch.until(() => reader.recorder.values().length === 16, 'all records');
    expect(mostAtOnce).toBe(2);
    expect(reader.recorder.batches.map((batch) => batch.records.length)).toEqual(Array(8).fill(2));
  });

  it('starts read_committed "latest" at the last stable offset', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer({ transactionalId: unique('tx') });
    const open = await producer.transaction();
    await open.send([{ topic, key: null, value: Buffer.from('pending') }]);
    const reader = recorder(transport, { groupId: unique('group'), autoOffsetReset: 'latest' });
    await reader.run([topic]);
    await open.commit();
    await reader.recorder.watch.until(() => reader.recorder.values().length === 1, 'the pending record');
    expect(reader.recorder.values()).toEqual(['pending']);
    expect(reader.recorder.batches[0]?.highWatermark).toBe('2');
  });

  it('applies a seek made before the partition is assigned, and refuses commits before run', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    await transport
      .producer()
      .send(Array.from({ length: 5 }, (_, index) => ({ topic, key: null, value: Buffer.from(`v${index}`) })));
    const reader = recorder(transport, { groupId: unique('group') });
    const early = await rejection(reader.consumer.commit([{ topic, partition: 0, offset: '1' }]));
    expect(early.code).toBe(InletErrorCode.invalidOption);
    reader.consumer.seek({ topic, partition: 0, offset: '3' });
    await reader.run([topic]);
    await reader.recorder.watch.until(
      () => reader.recorder.values().length === 2,
      'the records after the seek',
    );
    expect(reader.recorder.values()).toEqual(['v3', 'v4']);
  });

  it('takes a deleted topic away from its members and forgets its offsets', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 2);
    const other = await topicWith(transport, 1);
    const groupId = unique('group');
    const admin = transport.admin();
    await transport.producer().send([{ topic, key: null, value: Buffer.from('x'), partition: 0 }]);
    const member = recorder(transport, { groupId }, async (batch) => {
      await member.consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: '1' }]);
    });
    await member.run([topic, other]);
    await member.recorder.watch.until(() => member.recorder.batches.length === 1, 'the record');
    expect(await admin.groupOffsets(groupId, topic)).toContainEqual({ topic, partition: 0, offset: '1' });

    await admin.deleteTopics([topic]);
    await member.recorder.watch.until(
      () => member.recorder.assignments.at(-1)?.length === 1,
      'the new assignment',
    );
    expect(member.consumer.assignment()).toEqual([{ topic: other, partition: 0 }]);
    expect(member.recorder.revocations.at(-1)).toEqual([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    expect((await rejection(admin.topicOffsets(topic))).code).toBe(InletErrorCode.kafkaUnknownTopic);
    await admin.createTopics([{ topic, partitions: 2 }]);
    expect(await admin.groupOffsets(groupId, topic)).toEqual([
      { topic, partition: 0, offset: '-1' },
      { topic, partition: 1, offset: '-1' },
    ]);
  });

  it('describes, protects and deletes groups as Kafka does', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const admin = transport.admin();
    const groupId = unique('group');
    expect(await admin.describeGroup(groupId)).toEqual({ groupId, state: 'Dead', members: [] });
    expect((await rejection(admin.deleteGroup(groupId))).code).toBe(InletErrorCode.kafkaProtocol);

    const member = recorder(transport, { groupId });
    await member.run([topic]);
    const description = await admin.describeGroup(groupId);
    expect(description.state).toBe('Stable');
    expect(description.members).toEqual([
      {
        memberId: expect.stringMatching(/^inlet-/),
        clientId: 'inlet',
        assignment: [{ topic, partition: 0 }],
      },
    ]);
    const busy = await rejection(admin.setGroupOffsets(groupId, [{ topic, partition: 0, offset: '0' }]));
    expect((busy as InletKafkaError).kafkaErrorType).toBe('NON_EMPTY_GROUP');
    expect((await rejection(admin.deleteGroup(groupId))).code).toBe(InletErrorCode.kafkaProtocol);

    await member.consumer.close();
    expect(await admin.describeGroup(groupId)).toEqual({ groupId, state: 'Empty', members: [] });
    await admin.setGroupOffsets(groupId, [{ topic, partition: 0, offset: '0' }]);
    await admin.deleteGroup(groupId);
    expect((await admin.describeGroup(groupId)).state).toBe('Dead');
    expect(await admin.groupOffsets(groupId, topic)).toEqual([{ topic, partition: 0, offset: '-1' }]);
  });
});

describe('in-memory backbone: partition lifecycle hooks', () => {
  it('holds the rebalance for the revoking hook, whose commit the next owner starts from', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 2);
    const groupId = unique('group');
    const producer = transport.producer();
    await producer.send(
      [0, 1].flatMap((partition) =>
        [0, 1, 2, 3, 4].map((index) => ({ topic, partition, key: null, value: Buffer.from(`old-${index}`) })),
      ),
    );
    const release = deferred();
    const revokingCalled = deferred();
    let stateDuringHook: string | undefined;
    const owner = recorder(transport, { groupId }, undefined, {
      onPartitionsRevoking: async () => {
        revokingCalled.resolve();
        await release.promise;
        stateDuringHook = (await transport.admin().describeGroup(groupId)).state;
        // Everything handled so far, committed while the group waits for this member.
        await owner.consumer.commit([
          { topic, partition: 0, offset: '5' },
          { topic, partition: 1, offset: '5' },
        ]);
      },
    });
    await owner.run([topic]);
    await owner.recorder.watch.until(() => owner.recorder.values().length === 10, 'every old record');

    const joiner = recorder(transport, { groupId });
    let joined = false;
    const joining = joiner.run([topic]).then(() => {
      joined = true;
    });
    await revokingCalled.promise;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(joined).toBe(false);
    expect(joiner.consumer.assignment()).toEqual([]);
    release.resolve();
    await joining;
    expect(stateDuringHook).toBe('PreparingRebalance');
    expect(owner.recorder.errors).toEqual([]);
    expect(await transport.admin().groupOffsets(groupId, topic)).toEqual([
      { topic, partition: 0, offset: '5' },
      { topic, partition: 1, offset: '5' },
    ]);
    await producer.send(
      [0, 1].map((partition) => ({ topic, partition, key: null, value: Buffer.from('new') })),
    );
    await joiner.recorder.watch.until(() => joiner.recorder.values().includes('new'), 'the new record');
    // Nothing delivered again: the next owner started where the hook committed.
    expect(joiner.recorder.values()).toEqual(['new']);
  });

  it('calls the revoking hook once the batches in flight have settled', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    const groupId = unique('group');
    const batchStarted = deferred();
    const finishBatch = deferred();
    const order: string[] = [];
    const owner = recorder(
      transport,
      { groupId },
      async () => {
        batchStarted.resolve();
        await finishBatch.promise;
        order.push('batch settled');
      },
      {
        onPartitionsRevoking: async () => {
          order.push('revoking hook');
        },
      },
    );
    await owner.run([topic]);
    await transport.producer().send([{ topic, key: null, value: Buffer.from('x') }]);
    await batchStarted.promise;
    const joining = recorder(transport, { groupId }).run([topic]);
    await owner.recorder.watch.until(() => owner.recorder.rebalances.length === 2, 'the rebalance');
    expect(order).toEqual([]);
    finishBatch.resolve();
    await joining;
    expect(order).toEqual(['batch settled', 'revoking hook']);
  });

  it('goes on without a revoking hook that does not settle within rebalanceTimeoutMs', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 2);
    const groupId = unique('group');
    const options = { groupId, rebalanceTimeoutMs: 100 };
    const stuck = recorder(transport, options, undefined, {
      onPartitionsRevoking: () => new Promise<void>(() => undefined),
    });
    await stuck.run([topic]);
    const joiner = recorder(transport, options);
    await joiner.run([topic]);
    expect(joiner.consumer.assignment()).toHaveLength(1);
    await stuck.recorder.watch.until(() => stuck.consumer.assignment().length === 1, 'the new assignment');
    expect(stuck.recorder.errors.map((error) => error.code)).toEqual([InletErrorCode.timeout]);
    // close() does not wait for it forever either.
    await stuck.consumer.close();
  });

  it('calls the revoking hook at once for a member removed from the group; its commit is refused', async () => {
    const transport = backbone({ minSessionTimeoutMs: 10 });
    const topic = await topicWith(transport, 1);
    const groupId = unique('group');
    const release = deferred();
    const stuck = deferred();
    const revoked: (readonly TopicPartition[])[] = [];
    let commitAttempt: Promise<InletError> | undefined;
    const slow = recorder(
      transport,
      { groupId, sessionTimeoutMs: 100, heartbeatIntervalMs: 20 },
      async () => {
        if (revoked.length === 0) {
          stuck.resolve();
          await release.promise;
        }
      },
      {
        onPartitionsRevoking: async (partitions) => {
          revoked.push(partitions);
          commitAttempt = rejection(slow.consumer.commit([{ topic, partition: 0, offset: '1' }]));
          await commitAttempt;
        },
      },
    );
    await slow.run([topic]);
    await transport.producer().send([{ topic, key: null, value: Buffer.from('held') }]);
    await stuck.promise;
    await slow.recorder.watch.until(() => slow.recorder.errors.length > 0, 'the expulsion');
    // Called while its batch still runs: the partition is already on its way to another member.
    expect(revoked).toEqual([[{ topic, partition: 0 }]]);
    expect(((await commitAttempt) as InletKafkaError | undefined)?.kafkaErrorType).toBe('UNKNOWN_MEMBER_ID');
    release.resolve();
    await slow.recorder.watch.until(() => slow.consumer.assignment().length === 1, 'the rejoin');
    expect(revoked).toHaveLength(1);
  });
});

describe('in-memory backbone: lifecycle', () => {
  it('leaves no timer that keeps the process alive, while running or after close', async () => {
    const before = refedTimers();
    const transport = createInMemoryBackbone({ minSessionTimeoutMs: 10 });
    const topic = await topicWith(transport, 2);
    // An open transaction (timeout clock), a member stuck in a batch (session clock), a failing
    // handler (retry delay) and a rebalance waiting on the stuck member (rebalance clock).
    const producer = transport.producer({ transactionalId: unique('tx') });
    const open = await producer.transaction();
    await open.send([{ topic, key: null, value: null, partition: 1 }]);
    await transport.producer().send([{ topic, key: null, value: null, partition: 0 }]);
    const release = deferred();
    const stuck = deferred();
    const stuckGroup = unique('group');
    const holder = recorder(transport, { groupId: stuckGroup, isolation: 'read_uncommitted' }, async () => {
      stuck.resolve();
      await release.promise;
    });
    await holder.run([topic]);
    const failing = recorder(transport, { groupId: unique('group') }, () => {
      throw new Error('always');
    });
    await failing.run([topic]);
    await failing.recorder.watch.until(() => failing.recorder.errors.length > 0, 'a failure');
    await stuck.promise;
    const joiner = recorder(transport, { groupId: stuckGroup });
    const joining = joiner.run([topic]);
    await holder.recorder.watch.until(() => holder.recorder.rebalances.length === 2, 'the rebalance');
    expect(refedTimers()).toBeLessThanOrEqual(before);

    release.resolve();
    await joining;
    const closed = createInMemoryBackbone();
    await transport.close();
    await closed.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(refedTimers()).toBeLessThanOrEqual(before);
  });

  it('fails every call after close with INLET_CLOSED and supports await using', async () => {
    const transport = backbone();
    const topic = await topicWith(transport, 1);
    {
      await using producer = transport.producer();
      await producer.send([{ topic, key: null, value: null }]);
    }
    const consumer = transport.consumer({ groupId: unique('group') });
    const admin = transport.admin();
    await transport.close();
    await transport.close();
    await consumer.close();
    expect((await rejection(consumer.commit([]))).code).toBe(InletErrorCode.closed);
    expect(() => consumer.pause([])).toThrow(expect.objectContaining({ code: InletErrorCode.closed }));
    expect((await rejection(admin.listTopics())).code).toBe(InletErrorCode.closed);
    expect(() => transport.producer()).toThrow(expect.objectContaining({ code: InletErrorCode.closed }));
  });

  it('validates options when a client is created, naming the option', () => {
    expect(() => createInMemoryBackbone({ defaultPartitions: 0 })).toThrow(/defaultPartitions/);
    const transport = backbone();
    expect(() => transport.consumer({ groupId: 'g', sessionTimeoutMs: 1_000 })).toThrow(/sessionTimeoutMs/);
    expect(() => transport.producer({ acks: 1, idempotent: true })).toThrow(/acks/);
    expect(() => transport.producer({ transactionalId: 'tx', idempotent: false })).toThrow(/idempotent/);
    expect(transport.producer({ acks: 1 })).toBeDefined();
  });
});

type Operation =
  | { readonly kind: 'send'; readonly keys: readonly (string | null)[] }
  | { readonly kind: 'transactional-send'; readonly producer: number; readonly keys: readonly string[] }
  | { readonly kind: 'end-transaction'; readonly producer: number; readonly commit: boolean }
  | { readonly kind: 'restart' }
  | { readonly kind: 'yield' };

const keyArbitrary = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('send' as const),
    keys: fc.array(fc.option(keyArbitrary, { nil: null }), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('transactional-send' as const),
    producer: fc.integer({ min: 0, max: 1 }),
    keys: fc.array(keyArbitrary, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('end-transaction' as const),
    producer: fc.integer({ min: 0, max: 1 }),
    commit: fc.boolean(),
  }),
  fc.constant({ kind: 'restart' as const }),
  fc.constant({ kind: 'yield' as const }),
);

const partitionCount = 3;

/** Offsets seen by one consumer incarnation, per partition, in delivery order. */
type Deliveries = Map<number, number[]>;

function record(deliveries: Deliveries, batch: IncomingBatch): void {
  const list = deliveries.get(batch.partition) ?? [];
  list.push(...batch.records.map((entry) => Number(entry.offset)));
  deliveries.set(batch.partition, list);
}

function expectIncreasingWithAllowedGaps(list: readonly number[], allowedGaps: ReadonlySet<number>): void {
  let previous = -1;
  for (const offset of list) {
    expect(offset).toBeGreaterThan(previous);
    for (let gap = previous + 1; gap < offset; gap += 1) expect(allowedGaps.has(gap)).toBe(true);
    previous = offset;
  }
}

async function runScenario(operations: readonly Operation[]): Promise<void> {
  const transport = createInMemoryBackbone();
  try {
    const topic = await topicWith(transport, partitionCount);
    const plain = transport.producer();
    const transactional = [0, 1].map(() => transport.producer({ transactionalId: unique('tx') }));
    const open = new Map<number, { transaction: TransportTransaction; acks: RecordAck[] }>();
    const committedAcks: RecordAck[] = [];
    const abortedAcks: RecordAck[] = [];
    const markersExpected = new Map<number, number>();

    const observe = (isolation: 'read_committed' | 'read_uncommitted') => {
      const deliveries: Deliveries = new Map();
      const watch = new Watch();
      const consumer = transport.consumer({ groupId: unique('observer'), isolation });
      const start = async () => {
        await consumer.subscribe([topic]);
        await consumer.run({
          onBatch: async (batch) => {
            record(deliveries, batch);
            watch.changed();
          },
        });
      };
      return { deliveries, watch, start };
    };
    const uncommitted = observe('read_uncommitted');
    const committed = observe('read_committed');
    await uncommitted.start();
    await committed.start();

    // The group under test: commits after each batch, restarted at random points.
    const restartedGroup = unique('restarted');
    const incarnations: Deliveries[] = [];
    const seenByGroup = new Set<string>();
    const groupWatch = new Watch();
    let current: TransportConsumer | undefined;
    const startIncarnation = async () => {
      const deliveries: Deliveries = new Map();
      incarnations.push(deliveries);
      const consumer = transport.consumer({ groupId: restartedGroup });
      current = consumer;
      await consumer.subscribe([topic]);
      await consumer.run({
        onBatch: async (batch) => {
          record(deliveries, batch);
          const last = batch.records.at(-1);
          if (last !== undefined) {
            await consumer.commit([
              { topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
            ]);
          }
          for (const entry of batch.records) seenByGroup.add(`${entry.partition}@${entry.offset}`);
          groupWatch.changed();
        },
      });
    };
    await startIncarnation();

    const endTransaction = async (producer: number, commit: boolean) => {
      const entry = open.get(producer);
      if (entry === undefined) return;
      open.delete(producer);
      if (commit) await entry.transaction.commit();
      else await entry.transaction.abort();
      (commit ? committedAcks : abortedAcks).push(...entry.acks);
      for (const partition of new Set(entry.acks.map((ack) => ack.partition))) {
        markersExpected.set(partition, (markersExpected.get(partition) ?? 0) + 1);
      }
    };

    for (const operation of operations) {
      switch (operation.kind) {
        case 'send': {
          const acks = await plain.send(
            operation.keys.map((key) => ({
              topic,
              key: key === null ? null : Buffer.from(key),
              value: null,
            })),
          );
          committedAcks.push(...acks);
          break;
        }
        case 'transactional-send': {
          let entry = open.get(operation.producer);
          if (entry === undefined) {
            const producer = transactional[operation.producer] as TransportProducer;
            entry = { transaction: await producer.transaction(), acks: [] };
            open.set(operation.producer, entry);
          }
          const records = operation.keys.map((key) => ({ topic, key: Buffer.from(key), value: null }));
          entry.acks.push(...(await entry.transaction.send(records)));
          break;
        }
        case 'end-transaction':
          await endTransaction(operation.producer, operation.commit);
          break;
        case 'restart':
          await current?.close();
          await startIncarnation();
          break;
        case 'yield':
          await new Promise((resolve) => setImmediate(resolve));
          break;
      }
    }
    for (const producer of [...open.keys()]) await endTransaction(producer, true);

    const keyOf = (ack: RecordAck) => `${ack.partition}@${ack.offset}`;
    const everything = new Set([...committedAcks, ...abortedAcks].map(keyOf));
    const visible = new Set(committedAcks.map(keyOf));
    const count = (deliveries: Deliveries) =>
      [...deliveries.values()].reduce((sum, list) => sum + list.length, 0);
    await uncommitted.watch.until(() => count(uncommitted.deliveries) >= everything.size, 'read_uncommitted');
    await committed.watch.until(() => count(committed.deliveries) >= visible.size, 'read_committed');
    await groupWatch.until(() => [...visible].every((key) => seenByGroup.has(key)), 'the restarted group');

    const highWatermarks = (await transport.admin().topicOffsets(topic)).map((partition) =>
      Number(partition.high),
    );
    for (let partition = 0; partition < partitionCount; partition += 1) {
      const acked = new Set(
        [...committedAcks, ...abortedAcks]
          .filter((ack) => ack.partition === partition)
          .map((ack) => Number(ack.offset)),
      );
      const aborted = new Set(
        abortedAcks.filter((ack) => ack.partition === partition).map((ack) => Number(ack.offset)),
      );
      const markers = new Set<number>();
      for (let offset = 0; offset < (highWatermarks[partition] ?? 0); offset += 1) {
        if (!acked.has(offset)) markers.add(offset);
      }
      expect(markers.size).toBe(markersExpected.get(partition) ?? 0);

      const seenUncommitted = uncommitted.deliveries.get(partition) ?? [];
      expectIncreasingWithAllowedGaps(seenUncommitted, markers);
      expect(new Set(seenUncommitted)).toEqual(acked);
      const seenCommitted = committed.deliveries.get(partition) ?? [];
      expectIncreasingWithAllowedGaps(seenCommitted, new Set([...markers, ...aborted]));
      expect(seenCommitted.filter((offset) => aborted.has(offset))).toEqual([]);
      for (const incarnation of incarnations) {
        const list = incarnation.get(partition) ?? [];
        expect(list).toEqual([...list].sort((a, b) => a - b));
        expect(new Set(list).size).toBe(list.length);
        expect(list.filter((offset) => aborted.has(offset))).toEqual([]);
      }
    }
  } finally {
    await transport.close();
  }
}

describe('in-memory backbone: properties', () => {
  it('delivers in offset order with gaps only at markers, and at least once across restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operationArbitrary, { maxLength: 40 }), (operations) =>
        runScenario(operations),
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
