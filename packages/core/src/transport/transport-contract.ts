// The transport contract: one suite of assertions that every KafkaTransport must pass. Public
// (`@inlet/core/transport-contract`) so that each transport package runs it from its own tests:
// the in-memory backbone in its unit tests, kafkajs against a real broker.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InletError, InletErrorCode } from '../errors';
import { partitionForKey } from './murmur2';
import type {
  AssignedPartition,
  ConsumerHandlers,
  IncomingRecord,
  KafkaTransport,
  OutgoingHeaders,
  OutgoingRecord,
  TopicPartition,
  TopicPartitionOffset,
  TransportConsumer,
  TransportConsumerOptions,
} from './transport';

/** How the contract suite gets the transport under test. */
export interface TransportContractOptions {
  /** Makes a fresh transport for one test. */
  readonly create: () => Promise<KafkaTransport> | KafkaTransport;
  /** Group joins and rebalances are slow on a real broker; scale waits by this. Default 1. */
  readonly patience?: number;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `contract-${prefix}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}

async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A consumer and everything it has been given, for assertions. */
interface Collector {
  readonly consumer: TransportConsumer;
  readonly records: IncomingRecord[];
  readonly assignments: (readonly TopicPartition[])[];
  readonly revocations: (readonly TopicPartition[])[];
  readonly errors: InletError[];
  assignment(): TopicPartition[];
}

function sortPartitions<T extends TopicPartition>(partitions: readonly T[]): T[] {
  return [...partitions].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** Plain copies, sorted: what a hook was given, for `toEqual`. */
function assignedCopies(partitions: readonly AssignedPartition[]): AssignedPartition[] {
  return sortPartitions(partitions.map(({ topic, partition, isNew }) => ({ topic, partition, isNew })));
}

function partitionCopies(partitions: readonly TopicPartition[]): TopicPartition[] {
  return sortPartitions(partitions.map(({ topic, partition }) => ({ topic, partition })));
}

function offsetsOf(records: readonly IncomingRecord[] | undefined): string[] {
  return (records ?? []).map((record) => record.offset);
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, index) => String(from + index));
}

function byPartition(records: readonly IncomingRecord[]): Map<number, IncomingRecord[]> {
  const partitions = new Map<number, IncomingRecord[]>();
  for (const record of records) {
    const list = partitions.get(record.partition) ?? [];
    list.push(record);
    partitions.set(record.partition, list);
  }
  return partitions;
}

/** `{ __proto__: value }` as an own property: the literal form would set the prototype instead. */
function ownProto(value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  Object.defineProperty(headers, '__proto__', {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return headers;
}

/**
 * Registers the transport contract as a vitest `describe` block named after `name`: per-partition
 * order, murmur2 placement and per-record acks, commits and resuming, nothing committed
 * implicitly, `latest`/`earliest`, offsets by time and seek, rebalancing as members join and
 * leave, the partition lifecycle hooks, redelivery of a rejected batch, pause/resume,
 * transactions and read_committed, header rules, oversize records, missing topics, use after
 * close. Call it at the top level of a test
 * file; each test gets a fresh transport from `options.create` and closes it.
 *
 * ```ts
 * import { describeTransportContract } from '@inlet/core/transport-contract';
 * describeTransportContract('my transport', { create: () => createMyTransport() });
 * ```
 */
export function describeTransportContract(name: string, options: TransportContractOptions): void {
  const patience = options.patience ?? 1;
  const wait = (ms: number) => ms * patience;

  describe(`transport contract: ${name}`, () => {
    let transport: KafkaTransport;
    const closers: (() => Promise<void>)[] = [];

    beforeEach(async () => {
      transport = await options.create();
    });
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
      await transport.close();
    });

    async function topicWith(partitions: number): Promise<string> {
      const topic = uniqueName('topic');
      const admin = transport.admin();
      await admin.createTopics([{ topic, partitions }]);
      // Every partition's leader answers, as a consumer's first fetch needs: kafkajs rejoins its
      // group on its own when that fails, an extra rebalance the hook cases would count.
      await admin.topicOffsets(topic);
      return topic;
    }

    function consumerOptions(groupId: string, extra: Partial<TransportConsumerOptions> = {}) {
      return {
        groupId,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 500,
        rebalanceTimeoutMs: 15_000,
        maxWaitTimeMs: 100,
        ...extra,
      } satisfies TransportConsumerOptions;
    }

    async function collect(
      topics: readonly string[],
      groupId: string,
      extra: Partial<TransportConsumerOptions> = {},
      hooks: Partial<ConsumerHandlers> = {},
    ): Promise<Collector> {
      const consumer = transport.consumer(consumerOptions(groupId, extra));
      closers.push(() => consumer.close());
      const collector: Collector = {
        consumer,
        records: [],
        assignments: [],
        revocations: [],
        errors: [],
        assignment: () => sortPartitions(consumer.assignment()),
      };
      await consumer.subscribe(topics);
      const { onPartitionsAssigned, onPartitionsRevoking } = hooks;
      await consumer.run({
        onBatch: async (batch, controls) => {
          await hooks.onBatch?.(batch, controls);
          collector.records.push(...batch.records);
        },
        onAssigned: (assignment) => {
          collector.assignments.push(sortPartitions(assignment));
          hooks.onAssigned?.(assignment);
        },
        onRevoked: (revoked) => {
          collector.revocations.push(sortPartitions(revoked));
        },
        onError: (error, fatal) => {
          collector.errors.push(error);
          hooks.onError?.(error, fatal);
        },
        ...(onPartitionsAssigned === undefined ? {} : { onPartitionsAssigned }),
        ...(onPartitionsRevoking === undefined ? {} : { onPartitionsRevoking }),
      });
      return collector;
    }

    function keyed(topic: string, count: number, keys: number, start = 0): OutgoingRecord[] {
      return Array.from({ length: count }, (_, index) => ({
        topic,
        key: Buffer.from(`key-${(start + index) % keys}`),
        value: Buffer.from(`value-${start + index}`),
        headers: { 'x-index': String(start + index) },
      }));
    }

    it('creates topics once and reports their partitions', async () => {
      const topic = uniqueName('topic');
      const admin = transport.admin();
      expect(await admin.createTopics([{ topic, partitions: 4 }])).toEqual([topic]);
      expect(await admin.createTopics([{ topic, partitions: 4 }])).toEqual([]);
      expect(await admin.partitionCount(topic)).toBe(4);
      expect(await admin.listTopics()).toContain(topic);
      const offsets = await admin.topicOffsets(topic);
      expect(offsets.map((partition) => [partition.partition, partition.low, partition.high])).toEqual([
        [0, '0', '0'],
        [1, '0', '0'],
        [2, '0', '0'],
        [3, '0', '0'],
      ]);
    });

    it('refuses a send to a topic that does not exist, not retryable, naming it, and creates none', async () => {
      const missing = uniqueName('missing');
      const producer = transport.producer();
      closers.push(() => producer.close());
      const started = Date.now();
      const error = await producer
        .send([{ topic: missing, key: Buffer.from('k'), value: Buffer.from('v') }])
        .catch((caught: unknown) => caught);
      expect(Date.now() - started).toBeLessThan(wait(5_000));
      expect(InletError.hasCode(error, InletErrorCode.kafkaUnknownTopic)).toBe(true);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).message).toContain(`"${missing}"`);
      await expect(producer.partitionCount(missing)).rejects.toMatchObject({
        code: InletErrorCode.kafkaUnknownTopic,
        retryable: false,
      });
      expect(await transport.admin().listTopics()).not.toContain(missing);
    });

    it('places keyed records by murmur2 and acknowledges each with its offset, in order', async () => {
      const topic = await topicWith(3);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const records = keyed(topic, 60, 7);
      const acks = await producer.send(records);
      expect(acks).toHaveLength(records.length);
      const nextOffset = new Map<number, number>();
      acks.forEach((ack, index) => {
        const record = records[index] as OutgoingRecord;
        expect(ack.topic).toBe(topic);
        expect(ack.partition).toBe(partitionForKey(record.key as Buffer, 3));
        const expected = nextOffset.get(ack.partition) ?? 0;
        expect(ack.offset).toBe(String(expected));
        nextOffset.set(ack.partition, expected + 1);
      });
      const explicit = await producer.send([{ topic, key: Buffer.from('key-0'), value: null, partition: 2 }]);
      expect(explicit[0]?.partition).toBe(2);
    });

    it('delivers every record with key, value, headers and timestamp, in offset order per partition', async () => {
      const topic = await topicWith(3);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const baseTime = Date.now() - 60_000;
      const records = keyed(topic, 90, 11).map((record, index) => ({
        ...record,
        timestamp: baseTime + index,
      }));
      await producer.send(records.slice(0, 45));
      await producer.send(records.slice(45));

      const collector = await collect([topic], uniqueName('group'));
      await eventually(
        () => (collector.records.length >= records.length ? true : undefined),
        'all records',
        wait(20_000),
      );
      expect(collector.records).toHaveLength(records.length);
      for (const [, list] of byPartition(collector.records)) {
        const offsets = list.map((record) => Number(record.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        expect(new Set(offsets).size).toBe(offsets.length);
      }
      const byIndex = new Map(collector.records.map((record) => [String(record.headers['x-index']), record]));
      records.forEach((sent, index) => {
        const received = byIndex.get(String(index));
        expect(received, `record ${index}`).toBeDefined();
        expect(received?.key?.toString()).toBe(sent.key?.toString());
        expect(received?.value?.toString()).toBe(sent.value?.toString());
        expect(received?.timestamp).toBe(sent.timestamp);
        expect(received?.topic).toBe(topic);
      });
    });

    it('delivers headers as written: bytes, empty values, repeated names, any name', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
      await producer.send([
        {
          topic,
          key: Buffer.from('k'),
          value: Buffer.from('v'),
          headers: {
            'x-binary': binary,
            'x-empty-bytes': Buffer.alloc(0),
            'x-empty-text': '',
            'x-repeated': ['first', Buffer.from('second'), 'third'],
            'x-text-ü': 'grüße',
            ...ownProto('not a prototype'),
          },
        },
        { topic, key: Buffer.from('k'), value: Buffer.from('no headers') },
      ]);
      const collector = await collect([topic], uniqueName('group'));
      await eventually(
        () => (collector.records.length >= 2 ? true : undefined),
        'both records',
        wait(20_000),
      );
      const [withHeaders, without] = collector.records as [IncomingRecord, IncomingRecord];
      expect(withHeaders.headerList).toEqual([
        { name: 'x-binary', value: binary },
        { name: 'x-empty-bytes', value: Buffer.alloc(0) },
        { name: 'x-empty-text', value: Buffer.alloc(0) },
        { name: 'x-repeated', value: Buffer.from('first') },
        { name: 'x-repeated', value: Buffer.from('second') },
        { name: 'x-repeated', value: Buffer.from('third') },
        { name: 'x-text-ü', value: Buffer.from('grüße') },
        { name: '__proto__', value: Buffer.from('not a prototype') },
      ]);
      // The map holds the last value of a repeated name, as the Java client's lastHeader().
      expect(withHeaders.headers['x-repeated']).toEqual(Buffer.from('third'));
      expect(withHeaders.headers['x-binary']).toEqual(binary);
      expect(Object.getPrototypeOf(withHeaders.headers)).toBe(Object.prototype);
      expect(Object.keys(withHeaders.headers)).toContain('__proto__');
      expect(without.headerList).toEqual([]);
      expect(without.headers).toEqual({});
    });

    it('refuses headers it cannot write faithfully, before sending anything', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const attempts: [Record<string, unknown>, string][] = [
        // kafkajs 2.2.4 cannot encode a null header value (tulios/kafkajs#1789).
        [{ 'x-flag': null }, '"x-flag" has a null value'],
        [{ 'x-list': ['ok', null] }, '"x-list" has a null value'],
        // A lone surrogate has no UTF-8 form: it would arrive as U+FFFD.
        [{ 'x-text': 'broken \uD800' }, '"x-text" has a lone surrogate'],
        [{ 'x-name-\uDC00': 'value' }, 'lone surrogate in its name'],
        [{ 'x-number': 5 }, '"x-number" must be a Buffer, a string'],
      ];
      for (const [headers, problem] of attempts) {
        const error = await producer
          .send([
            { topic, key: null, value: Buffer.from('fine') },
            { topic, key: null, value: Buffer.from('bad'), headers: headers as OutgoingHeaders },
          ])
          .catch((e: unknown) => e);
        expect(InletError.hasCode(error, InletErrorCode.kafkaInvalidRecord), String(error)).toBe(true);
        expect((error as InletError).retryable).toBe(false);
        expect((error as InletError).message).toContain(`record 1: header `);
        expect((error as InletError).message).toContain(problem);
      }
      const admin = transport.admin();
      expect((await admin.topicOffsets(topic))[0]?.high).toBe('0');
    });

    it('resumes a group from its committed offsets and commits nothing on its own', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send(keyed(topic, 10, 1));
      const groupId = uniqueName('group');

      const first = await collect([topic], groupId);
      await eventually(() => (first.records.length >= 10 ? true : undefined), 'first read', wait(20_000));
      await first.consumer.commit([{ topic, partition: 0, offset: '6' }]);
      await first.consumer.close();

      const admin = transport.admin();
      expect(await admin.groupOffsets(groupId, topic)).toEqual([{ topic, partition: 0, offset: '6' }]);

      const second = await collect([topic], groupId);
      await eventually(() => (second.records.length >= 4 ? true : undefined), 'second read', wait(20_000));
      await sleep(wait(300));
      expect(second.records.map((record) => record.offset)).toEqual(['6', '7', '8', '9']);
      await second.consumer.close();
      // Nothing was committed by closing: the group is still at 6.
      expect(await admin.groupOffsets(groupId, topic)).toEqual([{ topic, partition: 0, offset: '6' }]);
    });

    it('reports -1 for a group that committed nothing, and lag from the high watermark', async () => {
      const topic = await topicWith(2);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send([
        { topic, key: null, value: Buffer.from('a'), partition: 0 },
        { topic, key: null, value: Buffer.from('b'), partition: 0 },
        { topic, key: null, value: Buffer.from('c'), partition: 1 },
      ]);
      const admin = transport.admin();
      const groupId = uniqueName('group');
      expect(await admin.groupOffsets(groupId, topic)).toEqual([
        { topic, partition: 0, offset: '-1' },
        { topic, partition: 1, offset: '-1' },
      ]);
      await admin.setGroupOffsets(groupId, [{ topic, partition: 0, offset: '1' }]);
      expect((await admin.groupOffsets(groupId, topic))[0]).toEqual({ topic, partition: 0, offset: '1' });
      const offsets = await admin.topicOffsets(topic);
      expect(offsets.map((partition) => partition.high)).toEqual(['2', '1']);
    });

    it('starts a new group at the end with autoOffsetReset latest', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send(keyed(topic, 5, 1));
      const collector = await collect([topic], uniqueName('group'), { autoOffsetReset: 'latest' });
      await eventually(
        () => (collector.assignment().length === 1 ? true : undefined),
        'assignment',
        wait(20_000),
      );
      // A real broker needs a moment between assignment and the first fetch position.
      await sleep(wait(500));
      await producer.send(keyed(topic, 2, 1, 100));
      await eventually(() => (collector.records.length >= 2 ? true : undefined), 'new records', wait(20_000));
      await sleep(wait(200));
      expect(collector.records.map((record) => record.value?.toString())).toEqual(['value-100', 'value-101']);
    });

    it('finds offsets by timestamp and seeks there', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const base = Date.now() - 3_600_000;
      await producer.send(
        Array.from({ length: 10 }, (_, index) => ({
          topic,
          key: Buffer.from('k'),
          value: Buffer.from(`at-${index}`),
          timestamp: base + index * 1000,
        })),
      );
      const admin = transport.admin();
      expect(await admin.offsetsForTimestamp(topic, base + 4500)).toEqual([
        { topic, partition: 0, offset: '5' },
      ]);
      expect(await admin.offsetsForTimestamp(topic, base - 1)).toEqual([
        { topic, partition: 0, offset: '0' },
      ]);
      expect(await admin.offsetsForTimestamp(topic, Date.now() + 1000)).toEqual([
        { topic, partition: 0, offset: '10' },
      ]);

      const seekTarget = await admin.offsetsForTimestamp(topic, base + 7000);
      expect(seekTarget).toEqual([{ topic, partition: 0, offset: '7' }]);
      const batchStarts: string[] = [];
      let staleAfterSeek: boolean | undefined;
      const collector = await collect(
        [topic],
        uniqueName('group'),
        {},
        {
          onBatch: async (batch, controls) => {
            batchStarts.push(batch.records[0]?.offset ?? 'empty');
            if (batchStarts.length === 1) {
              for (const position of seekTarget) collector.consumer.seek(position);
              staleAfterSeek = controls.isStale();
            }
          },
        },
      );
      await eventually(
        () => (batchStarts.length >= 2 ? true : undefined),
        'a batch after the seek',
        wait(20_000),
      );
      expect(batchStarts[0]).toBe('0');
      expect(batchStarts[1]).toBe('7');
      expect(staleAfterSeek).toBe(true);
    });

    it('splits partitions between members as they join and hands them back as they leave', async () => {
      const topic = await topicWith(4);
      const groupId = uniqueName('group');
      const all = [0, 1, 2, 3].map((partition) => ({ topic, partition }));

      const first = await collect([topic], groupId);
      await eventually(
        () => (first.assignment().length === 4 ? true : undefined),
        'first owns all',
        wait(30_000),
      );
      expect(first.assignment()).toEqual(all);

      const second = await collect([topic], groupId);
      await eventually(
        () =>
          first.assignment().length + second.assignment().length === 4 &&
          first.assignment().length > 0 &&
          second.assignment().length > 0
            ? true
            : undefined,
        'both own some',
        wait(30_000),
      );
      const union = sortPartitions([...first.assignment(), ...second.assignment()]);
      expect(union).toEqual(all);
      expect(first.revocations.flat().length).toBeGreaterThan(0);

      const admin = transport.admin();
      const description = await admin.describeGroup(groupId);
      expect(description.members).toHaveLength(2);

      await second.consumer.close();
      await eventually(
        () => (first.assignment().length === 4 ? true : undefined),
        'first owns all again',
        wait(30_000),
      );
    });

    it('waits for the assignment hook before fetching, and starts where it says, elsewhere at the commit', async () => {
      const topic = await topicWith(2);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send([
        ...keyed(topic, 10, 1).map((r) => ({ ...r, partition: 0 })),
        ...keyed(topic, 10, 1).map((r) => ({ ...r, partition: 1 })),
      ]);
      const groupId = uniqueName('group');
      await transport.admin().setGroupOffsets(groupId, [{ topic, partition: 1, offset: '2' }]);
      const order: string[] = [];
      const calls: AssignedPartition[][] = [];
      let settled = false;
      let deliveredBefore = 0;
      const collector = await collect(
        [topic],
        groupId,
        {},
        {
          onPartitionsAssigned: async (partitions) => {
            order.push('assignment hook');
            calls.push(assignedCopies(partitions));
            await sleep(500);
            settled = true;
            return [{ topic, partition: 0, offset: '3' }];
          },
          onAssigned: () => order.push('onAssigned'),
          onBatch: async () => {
            if (!settled) deliveredBefore += 1;
          },
        },
      );
      await eventually(
        () => (collector.records.length >= 15 ? true : undefined),
        'records from where the hook and the commit said',
        wait(20_000),
      );
      await sleep(wait(300));
      expect(deliveredBefore).toBe(0);
      expect(order.slice(0, 2)).toEqual(['assignment hook', 'onAssigned']);
      expect(calls).toEqual([
        [
          { topic, partition: 0, isNew: true },
          { topic, partition: 1, isNew: true },
        ],
      ]);
      const partitions = byPartition(collector.records);
      expect(offsetsOf(partitions.get(0))).toEqual(range(3, 10));
      expect(offsetsOf(partitions.get(1))).toEqual(range(2, 10));
      expect(collector.errors).toEqual([]);
    });

    it('reports an assignment hook that rejects, throws or returns nonsense, and starts at the commit', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send(keyed(topic, 5, 1));
      const hooks: Record<string, NonNullable<ConsumerHandlers['onPartitionsAssigned']>> = {
        rejects: async () => {
          throw new Error('assignment hook failed');
        },
        throws: (() => {
          throw new Error('assignment hook threw');
        }) as unknown as NonNullable<ConsumerHandlers['onPartitionsAssigned']>,
        'returns nonsense': async () =>
          [{ topic, partition: 0, offset: 'three' }] as unknown as TopicPartitionOffset[],
      };
      const members = await Promise.all(
        Object.entries(hooks).map(async ([name, onPartitionsAssigned]) => {
          const groupId = uniqueName('group');
          await transport.admin().setGroupOffsets(groupId, [{ topic, partition: 0, offset: '2' }]);
          const fatal: boolean[] = [];
          const collector = await collect(
            [topic],
            groupId,
            {},
            {
              onPartitionsAssigned,
              onError: (_error, isFatal) => {
                fatal.push(isFatal);
              },
            },
          );
          return { name, collector, fatal };
        }),
      );
      for (const { name, collector } of members) {
        await eventually(
          () => (collector.records.length >= 3 && collector.errors.length > 0 ? true : undefined),
          `the records from the commit, and the error, when the hook ${name}`,
          wait(20_000),
        );
      }
      await sleep(wait(300));
      for (const { name, collector, fatal } of members) {
        expect(offsetsOf(collector.records), name).toEqual(['2', '3', '4']);
        expect(collector.errors[0]?.code, name).toBe(InletErrorCode.handlerFailed);
        expect(fatal, name).not.toContain(true);
      }
    });

    it('calls the hooks on each new assignment: revoking before another member is given them, isNew for what is new', async () => {
      const topic = await topicWith(4);
      const groupId = uniqueName('group');
      const all = [0, 1, 2, 3].map((partition) => ({ topic, partition }));
      const log: string[] = [];
      const assigned = { first: [] as AssignedPartition[][], second: [] as AssignedPartition[][] };
      const revoking = { first: [] as TopicPartition[][], second: [] as TopicPartition[][] };
      const lifecycleHooks = (name: 'first' | 'second'): Partial<ConsumerHandlers> => ({
        onPartitionsAssigned: async (partitions) => {
          log.push(`${name} assignment hook`);
          assigned[name].push(assignedCopies(partitions));
          return undefined;
        },
        onPartitionsRevoking: async (partitions) => {
          log.push(`${name} revoking hook`);
          revoking[name].push(partitionCopies(partitions));
        },
        onAssigned: () => log.push(`${name} onAssigned`),
      });

      const first = await collect([topic], groupId, {}, lifecycleHooks('first'));
      await eventually(
        () => (first.assignment().length === 4 && assigned.first.length === 1 ? true : undefined),
        'first owns all',
        wait(30_000),
      );
      expect(assigned.first).toEqual([all.map((partition) => ({ ...partition, isNew: true }))]);
      expect(revoking.first).toEqual([]);

      const second = await collect([topic], groupId, {}, lifecycleHooks('second'));
      await eventually(
        () =>
          first.assignment().length + second.assignment().length === 4 &&
          first.assignment().length > 0 &&
          second.assignment().length > 0 &&
          assigned.first.length >= 2 &&
          assigned.second.length >= 1
            ? true
            : undefined,
        'both own some',
        wait(30_000),
      );
      expect(revoking.first[0]).toEqual(all);
      expect(revoking.second).toEqual([]);
      // The first member was told before the second was given anything.
      expect(log.indexOf('first revoking hook')).toBeGreaterThanOrEqual(0);
      expect(log.indexOf('first revoking hook')).toBeLessThan(log.indexOf('second assignment hook'));
      expect(log.indexOf('first revoking hook')).toBeLessThan(log.indexOf('second onAssigned'));
      expect(assigned.first.at(-1)).toEqual(
        first.assignment().map((partition) => ({ ...partition, isNew: false })),
      );
      expect(assigned.second[0]).toEqual(
        second.assignment().map((partition) => ({ ...partition, isNew: true })),
      );
      expect(log.lastIndexOf('first assignment hook')).toBeLessThan(log.lastIndexOf('first onAssigned'));

      const given = second.assignment();
      const givenKeys = new Set(given.map(({ partition }) => partition));
      const firstCalls = assigned.first.length;
      await second.consumer.close();
      expect(revoking.second).toEqual([given]);
      await eventually(
        () => (first.assignment().length === 4 && assigned.first.length > firstCalls ? true : undefined),
        'first owns all again',
        wait(30_000),
      );
      expect(log.indexOf('second revoking hook')).toBeLessThan(log.lastIndexOf('first assignment hook'));
      expect(revoking.first).toHaveLength(2);
      expect(assigned.first.at(-1)).toEqual(
        all.map((partition) => ({ ...partition, isNew: givenKeys.has(partition.partition) })),
      );
      expect(first.errors).toEqual([]);
    });

    it('drops the offsets of an assignment hook that settles after a newer assignment', async () => {
      const topic = await topicWith(2);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send([
        ...keyed(topic, 5, 1).map((r) => ({ ...r, partition: 0 })),
        ...keyed(topic, 5, 1).map((r) => ({ ...r, partition: 1 })),
      ]);
      const groupId = uniqueName('group');
      let calls = 0;
      let newerAssignment: () => void = () => undefined;
      const newer = new Promise<void>((resolve) => {
        newerAssignment = resolve;
      });
      let staleSettled: () => void = () => undefined;
      const stale = new Promise<void>((resolve) => {
        staleSettled = resolve;
      });
      let deliveredBeforeNewer = 0;
      const first = await collect(
        [topic],
        groupId,
        {},
        {
          onPartitionsAssigned: async () => {
            calls += 1;
            if (calls > 1) {
              newerAssignment();
              return undefined;
            }
            await newer;
            await sleep(200);
            staleSettled();
            return [
              { topic, partition: 0, offset: '4' },
              { topic, partition: 1, offset: '4' },
            ];
          },
          onBatch: async () => {
            if (calls < 2) deliveredBeforeNewer += 1;
          },
        },
      );
      await eventually(
        () => (first.assignment().length === 2 ? true : undefined),
        'first owns all',
        wait(30_000),
      );
      const second = await collect([topic], groupId, {}, { onPartitionsAssigned: async () => undefined });
      await stale;
      await eventually(
        () => (first.records.length + second.records.length >= 10 ? true : undefined),
        'every record once',
        wait(30_000),
      );
      await sleep(wait(500));
      expect(deliveredBeforeNewer).toBe(0);
      const partitions = byPartition([...first.records, ...second.records]);
      expect(offsetsOf(partitions.get(0))).toEqual(range(0, 5));
      expect(offsetsOf(partitions.get(1))).toEqual(range(0, 5));
    });

    it('calls the revoking hook from close() while still in the group, where a commit lands', async () => {
      const topic = await topicWith(2);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send([
        ...keyed(topic, 5, 1).map((r) => ({ ...r, partition: 0 })),
        ...keyed(topic, 4, 1).map((r) => ({ ...r, partition: 1 })),
      ]);
      const groupId = uniqueName('group');
      const admin = transport.admin();
      const calls: TopicPartition[][] = [];
      let membersDuringHook: number | undefined;
      let consumer: TransportConsumer | undefined;
      const collector = await collect(
        [topic],
        groupId,
        {},
        {
          onPartitionsRevoking: async (partitions) => {
            calls.push(partitionCopies(partitions));
            membersDuringHook = (await admin.describeGroup(groupId)).members.length;
            await consumer?.commit([
              { topic, partition: 0, offset: '5' },
              { topic, partition: 1, offset: '4' },
            ]);
          },
        },
      );
      consumer = collector.consumer;
      await eventually(
        () => (collector.records.length >= 9 ? true : undefined),
        'every record',
        wait(20_000),
      );
      expect(calls).toEqual([]);
      await collector.consumer.close();
      expect(calls).toEqual([
        [
          { topic, partition: 0 },
          { topic, partition: 1 },
        ],
      ]);
      expect(membersDuringHook).toBe(1);
      expect(await admin.groupOffsets(groupId, topic)).toEqual([
        { topic, partition: 0, offset: '5' },
        { topic, partition: 1, offset: '4' },
      ]);
      expect((await admin.describeGroup(groupId)).members).toEqual([]);
      expect(collector.errors).toEqual([]);
    });

    it('calls no revoking hook for a member that owns nothing, and goes on when one throws or rejects', async () => {
      const topic = await topicWith(1);
      const groupId = uniqueName('group');
      const calls = { first: [] as TopicPartition[][], second: [] as TopicPartition[][] };
      const first = await collect(
        [topic],
        groupId,
        {},
        {
          onPartitionsRevoking: ((partitions: readonly TopicPartition[]) => {
            calls.first.push(partitionCopies(partitions));
            throw new Error('revoking hook threw');
          }) as unknown as NonNullable<ConsumerHandlers['onPartitionsRevoking']>,
        },
      );
      await eventually(
        () => (first.assignment().length === 1 ? true : undefined),
        'first owns it',
        wait(30_000),
      );
      const second = await collect(
        [topic],
        groupId,
        {},
        {
          onPartitionsRevoking: async (partitions) => {
            calls.second.push(partitionCopies(partitions));
            throw new Error('revoking hook failed');
          },
        },
      );
      await eventually(
        () =>
          first.assignment().length + second.assignment().length === 1 && second.assignments.length > 0
            ? true
            : undefined,
        'the group to settle with two members',
        wait(30_000),
      );
      // The first member owned the partition when the second joined: it was told, and it carried on.
      expect(calls.first).toEqual([[{ topic, partition: 0 }]]);
      expect(first.errors.map((error) => error.code)).toEqual([InletErrorCode.handlerFailed]);
      const [idle, owner] =
        first.assignment().length === 0 ? (['first', 'second'] as const) : (['second', 'first'] as const);
      const members = { first, second };
      const idleCalls = calls[idle].length;
      const ownerAssignments = members[owner].assignments.length;
      await members[idle].consumer.close();
      expect(calls[idle]).toHaveLength(idleCalls);
      // The member left: the owner is told of that rebalance too, and then assigned the partition again.
      await eventually(
        () => (members[owner].assignments.length > ownerAssignments ? true : undefined),
        'the owner to be assigned again',
        wait(30_000),
      );
      const ownerCalls = calls[owner].length;
      await members[owner].consumer.close();
      expect(calls[owner]).toHaveLength(ownerCalls + 1);
      for (const list of [...calls.first, ...calls.second]) expect(list).toEqual([{ topic, partition: 0 }]);
    });

    it('delivers a rejected batch again and reports the error', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      await producer.send(keyed(topic, 3, 1));
      let failures = 0;
      const collector = await collect(
        [topic],
        uniqueName('group'),
        {},
        {
          onBatch: async () => {
            if (failures === 0) {
              failures += 1;
              throw new Error('handler exploded');
            }
          },
        },
      );
      await eventually(() => (collector.records.length >= 3 ? true : undefined), 'redelivery', wait(30_000));
      expect(collector.records.map((record) => record.offset).slice(0, 3)).toEqual(['0', '1', '2']);
      expect(collector.errors.length).toBeGreaterThan(0);
    });

    it('stops delivering a paused partition until it is resumed', async () => {
      const topic = await topicWith(2);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const collector = await collect([topic], uniqueName('group'));
      await eventually(
        () => (collector.assignment().length === 2 ? true : undefined),
        'assignment',
        wait(30_000),
      );
      collector.consumer.pause([{ topic, partition: 1 }]);
      expect(collector.consumer.paused()).toEqual([{ topic, partition: 1 }]);
      await producer.send([
        { topic, key: null, value: Buffer.from('p0'), partition: 0 },
        { topic, key: null, value: Buffer.from('p1'), partition: 1 },
      ]);
      await eventually(
        () => (collector.records.some((record) => record.partition === 0) ? true : undefined),
        'partition 0',
        wait(20_000),
      );
      await sleep(wait(500));
      expect(collector.records.filter((record) => record.partition === 1)).toHaveLength(0);
      collector.consumer.resume([{ topic, partition: 1 }]);
      await eventually(
        () => (collector.records.some((record) => record.partition === 1) ? true : undefined),
        'partition 1 after resume',
        wait(20_000),
      );
    });

    it('hides open and aborted transactions from read_committed and commits offsets atomically', async () => {
      const topic = await topicWith(1);
      const groupId = uniqueName('group');
      const producer = transport.producer({ transactionalId: uniqueName('tx') });
      closers.push(() => producer.close());

      const aborted = await producer.transaction();
      await aborted.send([{ topic, key: Buffer.from('k'), value: Buffer.from('aborted') }]);
      await aborted.sendOffsets(groupId, [{ topic, partition: 0, offset: '1' }]);
      await aborted.abort();
      expect(aborted.isActive).toBe(false);

      const committed = await producer.transaction();
      await committed.send([{ topic, key: Buffer.from('k'), value: Buffer.from('committed') }]);
      await committed.commit();

      const open = await producer.transaction();
      await open.send([{ topic, key: Buffer.from('k'), value: Buffer.from('still-open') }]);

      const readCommitted = await collect([topic], uniqueName('group-rc'));
      const readUncommitted = await collect([topic], uniqueName('group-ru'), {
        isolation: 'read_uncommitted',
      });
      await eventually(
        () => (readCommitted.records.length >= 1 ? true : undefined),
        'committed',
        wait(20_000),
      );
      await eventually(() => (readUncommitted.records.length >= 3 ? true : undefined), 'all', wait(20_000));
      await sleep(wait(300));
      expect(readCommitted.records.map((record) => record.value?.toString())).toEqual(['committed']);
      expect(readUncommitted.records.map((record) => record.value?.toString())).toEqual([
        'aborted',
        'committed',
        'still-open',
      ]);

      await open.sendOffsets(groupId, [{ topic, partition: 0, offset: '3' }]);
      await open.commit();
      await eventually(
        () => (readCommitted.records.length >= 2 ? true : undefined),
        'after commit',
        wait(20_000),
      );
      expect(readCommitted.records.map((record) => record.value?.toString())).toEqual([
        'committed',
        'still-open',
      ]);
      const admin = transport.admin();
      expect(await admin.groupOffsets(groupId, topic)).toEqual([{ topic, partition: 0, offset: '3' }]);
    });

    it('tells where each fetch ends, past transaction markers and aborted records, even with no record to deliver', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer({ transactionalId: uniqueName('tx') });
      closers.push(() => producer.close());
      const batches: { readonly offsets: string[]; readonly nextOffset: string }[] = [];
      const reached = (offset: string) => () =>
        batches.some((batch) => batch.nextOffset === offset) ? true : undefined;

      // Offsets 0 and 1, then the commit marker at 2.
      const committed = await producer.transaction();
      await committed.send(keyed(topic, 2, 1));
      await committed.commit();
      await collect(
        [topic],
        uniqueName('group'),
        {},
        {
          onBatch: async (batch) => {
            batches.push({
              offsets: batch.records.map((record) => record.offset),
              nextOffset: batch.nextOffset,
            });
          },
        },
      );
      await eventually(reached('3'), 'the fetch past the commit marker', wait(20_000));

      // Offset 3 aborted, then the abort marker at 4: nothing to deliver, but the fetch moves on.
      const aborted = await producer.transaction();
      await aborted.send(keyed(topic, 1, 1, 2));
      await aborted.abort();
      await eventually(reached('5'), 'the fetch past the aborted transaction', wait(20_000));

      expect(batches.flatMap((batch) => batch.offsets)).toEqual(['0', '1']);
      expect(batches.at(-1)).toEqual({ offsets: [], nextOffset: '5' });
      for (const batch of batches) {
        const last = batch.offsets.at(-1);
        if (last !== undefined) expect(BigInt(batch.nextOffset)).toBeGreaterThan(BigInt(last));
      }
      const nextOffsets = batches.map((batch) => BigInt(batch.nextOffset));
      expect(nextOffsets).toEqual([...nextOffsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect((await transport.admin().topicOffsets(topic))[0]?.high).toBe('5');
    });

    it('refuses a transaction on a producer without a transactional id', async () => {
      const producer = transport.producer();
      closers.push(() => producer.close());
      await expect(producer.transaction()).rejects.toMatchObject({ code: InletErrorCode.invalidOption });
    });

    it('rejects a record larger than the broker accepts, with a typed error', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      closers.push(() => producer.close());
      const huge = Buffer.alloc(2 * 1024 * 1024, 1);
      const error = await producer
        .send([{ topic, key: Buffer.from('k'), value: huge }])
        .catch((e: unknown) => e);
      expect(InletError.hasCode(error, InletErrorCode.kafkaMessageTooLarge)).toBe(true);
      expect((error as InletError).retryable).toBe(false);
      const admin = transport.admin();
      expect((await admin.topicOffsets(topic))[0]?.high).toBe('0');
    });

    it('fails calls after close with INLET_CLOSED, and close twice is fine', async () => {
      const topic = await topicWith(1);
      const producer = transport.producer();
      await producer.send([{ topic, key: null, value: Buffer.from('x') }]);
      await producer.close();
      await producer.close();
      await expect(producer.send([{ topic, key: null, value: Buffer.from('y') }])).rejects.toMatchObject({
        code: InletErrorCode.closed,
      });
    });
  });
}
