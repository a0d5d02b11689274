import {
  type ConsumerHandlers,
  type IncomingRecord,
  type InletError,
  InletErrorCode,
  InletKafkaError,
  type KafkaTransport,
  type OutgoingRecord,
  type TopicPartition,
  type TransportConsumer,
} from '@inlet/core';
import { describeTransportContract } from '@inlet/core/transport-contract';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaJsTransport, type KafkaJsTransportOptions } from './kafkajs-transport';

const environment = testEnvironment();

function transportFor(extra: Partial<KafkaJsTransportOptions> = {}) {
  return createKafkaJsTransport({
    brokers: [...environment.kafkaBrokers],
    clientId: 'inlet-kafkajs-test',
    ...extra,
  });
}

describeTransportContract('kafkajs on a real broker', { create: () => transportFor(), patience: 2 });

const consumerTimings = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 15_000,
  maxWaitTimeMs: 100,
} as const;

interface Member {
  readonly consumer: TransportConsumer;
  readonly records: IncomingRecord[];
  readonly errors: InletError[];
  readonly revoked: TopicPartition[][];
  rebalances: number;
  /** Resolves once run() has joined the group. */
  readonly running: Promise<void>;
}

async function topicWith(transport: KafkaTransport, partitions: number): Promise<string> {
  const topic = uniqueName('kafkajs-topic');
  await transport.admin().createTopics([{ topic, partitions }]);
  return topic;
}

function records(topic: string, count: number, partition?: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    topic,
    key: Buffer.from(`key-${index}`),
    value: Buffer.from(`value-${index}`),
    ...(partition === undefined ? {} : { partition }),
  }));
}

async function join(
  transport: KafkaTransport,
  topic: string,
  groupId: string,
  onBatch: ConsumerHandlers['onBatch'] = async () => undefined,
): Promise<Member> {
  const consumer = transport.consumer({ groupId, ...consumerTimings });
  await consumer.subscribe([topic]);
  const member: Omit<Member, 'running'> = { consumer, records: [], errors: [], revoked: [], rebalances: 0 };
  const running = consumer.run({
    onBatch: async (batch, controls) => {
      await onBatch(batch, controls);
      member.records.push(...batch.records);
    },
    onError: (error) => member.errors.push(error),
    onRevoked: (revoked) => member.revoked.push([...revoked]),
    onRebalancing: () => {
      member.rebalances += 1;
    },
  });
  return Object.assign(member, { running });
}

const offsetsOf = (list: readonly IncomingRecord[]) =>
  list.map((record) => `${record.partition}@${record.offset}`);

describe('kafkajs transport: behaviour specific to kafkajs and a real broker', () => {
  it('never commits on its own: not for handled batches, seeks, failed batches, rebalances or close', async () => {
    await using transport = transportFor({ retry: { initialRetryTimeMs: 100 } });
    const topic = await topicWith(transport, 2);
    const producer = transport.producer();
    await producer.send([...records(topic, 10, 0), ...records(topic, 10, 1)]);
    const groupId = uniqueName('kafkajs-group');
    const admin = transport.admin();
    const nothingCommitted = [
      { topic, partition: 0, offset: '-1' },
      { topic, partition: 1, offset: '-1' },
    ];

    let failedOnce = false;
    let soughtOnce = false;
    const first = await join(transport, topic, groupId, async (batch) => {
      if (batch.partition === 0 && !failedOnce) {
        failedOnce = true;
        throw new Error('handler failed once');
      }
      if (batch.partition === 1 && !soughtOnce) {
        soughtOnce = true;
        first.consumer.seek({ topic, partition: 1, offset: '5' });
      }
    });
    await first.running;
    // Both partitions were handled to their end, so kafkajs resolved offsets past every record.
    await eventually(
      () => {
        const seen = new Set(offsetsOf(first.records));
        return seen.has('0@9') && seen.has('1@9') ? true : undefined;
      },
      { what: 'every record handled', timeoutMs: 30_000 },
    );
    expect(failedOnce && soughtOnce).toBe(true);
    expect(await admin.groupOffsets(groupId, topic)).toEqual(nothingCommitted);

    const second = await join(transport, topic, groupId);
    await second.running;
    await eventually(() => (first.revoked.length > 0 ? true : undefined), {
      what: 'the first member to give up a partition',
      timeoutMs: 30_000,
    });
    expect(await admin.groupOffsets(groupId, topic)).toEqual(nothingCommitted);

    await second.consumer.close();
    await first.consumer.close();
    expect(await admin.groupOffsets(groupId, topic)).toEqual(nothingCommitted);

    // So a new member starts over from the beginning of both partitions.
    const third = await join(transport, topic, groupId);
    await third.running;
    await eventually(() => (third.records.length >= 20 ? true : undefined), {
      what: 'all records again',
      timeoutMs: 30_000,
    });
    expect(offsetsOf(third.records)).toEqual(expect.arrayContaining(['0@0', '1@0']));
    await third.consumer.close();
    expect(await admin.groupOffsets(groupId, topic)).toEqual(nothingCommitted);
  });

  it('delivers a failing partition again after a back-off without holding up the others', async () => {
    await using transport = transportFor({ retry: { initialRetryTimeMs: 200 } });
    const topic = await topicWith(transport, 2);
    await transport.producer().send([...records(topic, 3, 0), ...records(topic, 3, 1)]);
    let failures = 0;
    const member = await join(transport, topic, uniqueName('kafkajs-group'), async (batch) => {
      if (batch.partition === 0 && failures < 2) {
        failures += 1;
        throw new Error(`handler failure ${failures}`);
      }
    });
    await member.running;
    await eventually(() => (member.records.length >= 6 ? true : undefined), {
      what: 'both partitions',
      timeoutMs: 30_000,
    });
    expect(failures).toBe(2);
    expect(offsetsOf(member.records.filter((record) => record.partition === 0))).toEqual([
      '0@0',
      '0@1',
      '0@2',
    ]);
    expect(member.errors).toHaveLength(2);
    for (const error of member.errors) {
      expect(error.code).toBe(InletErrorCode.handlerFailed);
      expect((error.cause as Error).message).toMatch(/handler failure/);
    }
    await member.consumer.close();
  });

  it('tells a batch it is stale once a rebalance starts under it, and delivers its records again', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    await transport.producer().send(records(topic, 3, 0));
    const groupId = uniqueName('kafkajs-group');
    let sawStale = false;
    let blocking = true;
    let markStarted: () => void = () => undefined;
    const batchStarted = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const first = await join(transport, topic, groupId, async (_batch, controls) => {
      if (!blocking) return;
      markStarted();
      const deadline = Date.now() + 30_000;
      while (!controls.isStale() && Date.now() < deadline) {
        await controls.heartbeat();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      blocking = false;
      sawStale = controls.isStale();
      throw new Error('stale batch abandoned');
    });
    await first.running;
    await batchStarted;
    // A second member asking to join puts the group into a rebalance at once.
    const second = await join(transport, topic, groupId);
    await second.running;
    expect(sawStale).toBe(true);
    await eventually(
      () =>
        [...first.records, ...second.records].some((record) => record.offset === '0') ? true : undefined,
      { what: 'the abandoned records again', timeoutMs: 30_000 },
    );
    expect(first.rebalances).toBeGreaterThan(0);
    await second.consumer.close();
    await first.consumer.close();
  });

  it('lands a commit the revoking hook makes at once, before the member rejoins, but not one made later', async () => {
    // kafkajs cannot hold its rejoin for the hook: what the hook commits lands before the next
    // owner starts only when it is sent at once. kafkajs reuses its coordinator connection for the
    // commit, while its JoinGroup waits for a FindCoordinator round trip first.
    async function rebalanceWithCommit(late: boolean) {
      await using transport = transportFor();
      const topic = await topicWith(transport, 2);
      const producer = transport.producer();
      await producer.send([...records(topic, 10, 0), ...records(topic, 10, 1)]);
      const groupId = uniqueName('kafkajs-group');
      let secondDelivered: () => void = () => undefined;
      const deliveredBySecond = new Promise<void>((resolve) => {
        secondDelivered = resolve;
      });
      let commit: Promise<string> | undefined;
      const first = transport.consumer({ groupId, ...consumerTimings });
      const firstRecords: IncomingRecord[] = [];
      await first.subscribe([topic]);
      await first.run({
        onBatch: async (batch) => {
          firstRecords.push(...batch.records);
        },
        onPartitionsRevoking: async () => {
          if (late) await deliveredBySecond;
          commit = first
            .commit([
              { topic, partition: 0, offset: '10' },
              { topic, partition: 1, offset: '10' },
            ])
            .then(
              () => 'landed',
              (error: unknown) => (error as InletError).code,
            );
          await commit;
        },
      });
      await eventually(() => (firstRecords.length >= 20 ? true : undefined), {
        what: 'the first member to read everything',
        timeoutMs: 30_000,
      });
      const seenBefore = firstRecords.length;
      const second = transport.consumer({ groupId, ...consumerTimings });
      const secondRecords: IncomingRecord[] = [];
      await second.subscribe([topic]);
      await second.run({
        onBatch: async (batch) => {
          secondRecords.push(...batch.records);
          secondDelivered();
        },
      });
      await eventually(() => (second.assignment().length > 0 ? true : undefined), {
        what: 'the second member to be given a partition',
        timeoutMs: 30_000,
      });
      // One record more per partition marks where each one has got to after the rebalance.
      await producer.send([...records(topic, 1, 0), ...records(topic, 1, 1)]);
      const after = () => [...firstRecords.slice(seenBefore), ...secondRecords];
      await eventually(
        () => (after().filter((record) => record.offset === '10').length >= 2 ? true : undefined),
        { what: 'both partitions to reach the new records', timeoutMs: 30_000 },
      );
      await second.close();
      await first.close();
      return {
        outcome: await commit,
        redelivered: after().filter((record) => record.offset !== '10'),
        secondStart: secondRecords[0],
      };
    }

    const atOnce = await rebalanceWithCommit(false);
    expect(atOnce.outcome).toBe('landed');
    expect(offsetsOf(atOnce.redelivered)).toEqual([]);

    // A hook still running once the next owner has read its partition from the commit before
    // (the group did not wait for it): what it commits then comes too late for that owner.
    // kafkajs refuses it for the old generation, or sends it under the new one once it has
    // rejoined itself.
    const tooLate = await rebalanceWithCommit(true);
    expect(tooLate.secondStart?.offset).toBe('0');
    expect(['landed', InletErrorCode.kafkaRebalance]).toContain(tooLate.outcome);
    expect(offsetsOf(tooLate.redelivered)).toContain(`${tooLate.secondStart?.partition}@0`);
  });

  it('sends to partitions added after kafkajs cached the topic, with correct acks', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer();
    expect((await producer.send(records(topic, 1)))[0]).toEqual({ topic, partition: 0, offset: '0' });
    // The port's admin cannot add partitions; a raw kafkajs admin can.
    const raw = new Kafka({ brokers: [...environment.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
    await raw.connect();
    try {
      await raw.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    } finally {
      await raw.disconnect();
    }
    // Partition 2 is unknown to both Inlet's cached count and kafkajs's cached metadata; without
    // a refresh kafkajs would drop the record silently.
    const acks = await producer.send([...records(topic, 2, 2), ...records(topic, 1, 0)]);
    expect(acks).toEqual([
      { topic, partition: 2, offset: '0' },
      { topic, partition: 2, offset: '1' },
      { topic, partition: 0, offset: '1' },
    ]);
    expect(await producer.partitionCount(topic)).toBe(3);
  });

  it('keeps concurrent idempotent sends apart: each record lands once, at the offset its ack names', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer({ idempotent: true });
    // Equal-sized batches to one partition, all in flight at once: the case where shared sequence
    // numbers would let the broker take one batch for a retry of another and drop it.
    const batches = Array.from({ length: 20 }, (_, batch) =>
      [0, 1].map((index) => ({
        topic,
        partition: 0,
        key: null,
        value: Buffer.from(`batch-${batch}-record-${index}`),
      })),
    );
    const acks = await Promise.all(batches.map((batch) => producer.send(batch)));
    const ackedAt = new Map<string, string>();
    for (const [batch, batchAcks] of acks.entries()) {
      for (const [index, ack] of batchAcks.entries()) {
        ackedAt.set(`${ack.partition}@${ack.offset}`, `batch-${batch}-record-${index}`);
      }
    }
    expect(ackedAt.size).toBe(40);
    const reader = await join(transport, topic, uniqueName('group'));
    await eventually(() => expect(reader.records.length).toBeGreaterThanOrEqual(40));
    await reader.consumer.close();
    const logged = new Map(
      reader.records.map((record) => [`${record.partition}@${record.offset}`, record.value?.toString()]),
    );
    expect(logged).toEqual(ackedAt);
  });

  it('classifies a real broker rejection of an oversize record', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    const error = await transport
      .producer()
      .send([{ topic, key: null, value: Buffer.alloc(2 * 1024 * 1024, 7) }])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InletKafkaError);
    expect(error).toMatchObject({
      code: InletErrorCode.kafkaMessageTooLarge,
      kafkaErrorType: 'MESSAGE_TOO_LARGE',
      retryable: false,
    });
    expect((error as InletKafkaError).cause).toBeInstanceOf(Error);
  });

  it('classifies a fenced transactional producer', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    const transactionalId = uniqueName('kafkajs-tx');
    const zombie = transport.producer({ transactionalId });
    const open = await zombie.transaction();
    await expect(zombie.transaction()).rejects.toMatchObject({ code: InletErrorCode.invalidOption });
    await open.send(records(topic, 1));
    // A newer producer with the same id bumps the epoch and fences the first one.
    const successor = transport.producer({ transactionalId });
    const next = await successor.transaction();
    await next.send(records(topic, 1));
    await next.commit();
    const error = await open.commit().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InletKafkaError);
    expect(error).toMatchObject({ code: InletErrorCode.kafkaFenced, retryable: false });
    // Dead for every call from then on, plain sends included, as the Java client treats it.
    await expect(zombie.send(records(topic, 1))).rejects.toMatchObject({ code: InletErrorCode.kafkaFenced });
    await expect(zombie.transaction()).rejects.toMatchObject({ code: InletErrorCode.kafkaFenced });
  });

  it('refuses a send to a topic that does not exist within moments, not retryable, naming it', async () => {
    // The shared broker has auto.create.topics.enable=true: the transport must not lean on it.
    await using transport = transportFor();
    const topic = uniqueName('kafkajs-missing');
    const started = Date.now();
    const error = await transport
      .producer()
      .send(records(topic, 1))
      .catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: InletErrorCode.kafkaUnknownTopic, retryable: false });
    expect((error as Error).message).toContain(`"${topic}"`);
    expect(await transport.admin().listTopics()).not.toContain(topic);
  });

  it('creates a missing topic itself, with the broker defaults, when made with autoCreateTopics', async () => {
    await using transport = transportFor({ autoCreateTopics: true });
    const topic = uniqueName('kafkajs-auto');
    const acks = await transport.producer().send(records(topic, 3, 0));
    expect(acks).toHaveLength(3);
    expect(await transport.admin().partitionCount(topic)).toBe(1);
  });

  it('stops waiting for a send when its signal fires, while the send itself completes', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    const producer = transport.producer();
    const controller = new AbortController();
    const sending = producer.send(records(topic, 5, 0), { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(sending).rejects.toMatchObject({ code: InletErrorCode.aborted });
    // close() waits for the send that was already under way.
    await producer.close();
    expect((await transport.admin().topicOffsets(topic))[0]?.high).toBe('5');
  });

  it('reports the reset marker kafkajs commits after an out-of-range offset as -1', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    await transport.producer().send(records(topic, 2, 0));
    const groupId = uniqueName('kafkajs-group');
    const admin = transport.admin();
    await admin.setGroupOffsets(groupId, [{ topic, partition: 0, offset: '100' }]);
    const member = await join(transport, topic, groupId);
    await member.running;
    await eventually(() => (member.records.length >= 2 ? true : undefined), {
      what: 'records from the reset position',
      timeoutMs: 30_000,
    });
    expect(offsetsOf(member.records)).toEqual(['0@0', '0@1']);
    // kafkajs commits -2 ("earliest") here, the one commit it makes by itself.
    expect(await admin.groupOffsets(groupId, topic)).toEqual([{ topic, partition: 0, offset: '-1' }]);
    await member.consumer.close();
  });

  it('reads topic offsets at read_committed: high is the last stable offset while a transaction is open', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 1);
    const admin = transport.admin();
    await transport.producer().send(records(topic, 2, 0));
    const transaction = await transport.producer({ transactionalId: uniqueName('kafkajs-tx') }).transaction();
    await transaction.send(records(topic, 1, 0));
    expect((await admin.topicOffsets(topic))[0]).toEqual({ partition: 0, low: '0', high: '2' });
    expect(await admin.offsetsForTimestamp(topic, Date.now() + 60_000)).toEqual([
      { topic, partition: 0, offset: '2' },
    ]);
    await transaction.commit();
    // The commit marker is written after EndTxn returns, so the stable offset follows shortly.
    await eventually(async () => ((await admin.topicOffsets(topic))[0]?.high === '4' ? true : undefined), {
      what: 'the stable offset to pass the committed transaction and its marker',
    });
  });

  it('describes a group with each member and its decoded assignment', async () => {
    await using transport = transportFor();
    const topic = await topicWith(transport, 3);
    const groupId = uniqueName('kafkajs-group');
    const member = await join(transport, topic, groupId);
    await member.running;
    const description = await transport.admin().describeGroup(groupId);
    expect(description).toMatchObject({ groupId, state: 'Stable' });
    expect(description.members).toHaveLength(1);
    expect(description.members[0]?.clientId).toBe('inlet-kafkajs-test');
    expect(description.members[0]?.assignment).toEqual([0, 1, 2].map((partition) => ({ topic, partition })));
    await member.consumer.close();
    await transport.admin().deleteGroup(groupId);
    expect((await transport.admin().describeGroup(groupId)).members).toEqual([]);
  });
});
