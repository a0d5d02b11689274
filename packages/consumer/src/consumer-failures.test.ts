import { createInMemoryBackbone } from '@inlet/backbone';
import { type IncomingRecord, InletError, InletErrorCode, type KafkaTransport } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { ConsumerErrorCode } from './consumer-error-code';
import type { ConsumerOptions } from './consumer-options';
import { DeadLetterHeader } from './dead-letter';
import { ordersTopic, updated } from './fixtures/orders.fixture';
import { createMemoryVersionStore } from './stores/memory-stores';
import type { DedupStore, VersionStore } from './stores/stores';

// What happens when something the consumer depends on fails for good: a store, the dead-letter
// topic, or a handler with dead-lettering off. The outcome is explicit, counted and reported; a
// partition never stops committing silently.

type Orders = ReturnType<typeof ordersTopic>;
let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function setup(backbone: Parameters<typeof createInMemoryBackbone>[0] = {}) {
  const transport = createInMemoryBackbone({ defaultPartitions: 1, autoCreateTopics: true, ...backbone });
  opened.push(transport);
  const orders = ordersTopic(`failures-${++counter}`);
  return { transport, orders };
}

async function produce(transport: KafkaTransport, orders: Orders, orderIds: readonly string[]) {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  for (const [revision, orderId] of orderIds.entries())
    await producer.send(orders, updated(orderId, revision));
  await producer.close();
}

function consumerWith(transport: KafkaTransport, orders: Orders, extra: Partial<ConsumerOptions<[Orders]>>) {
  const groupId = `group-${++counter}`;
  const consumer = createConsumer({
    transport,
    groupId,
    topics: [orders],
    handle: async () => undefined,
    commitIntervalMs: 20,
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    serviceRetry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  } as ConsumerOptions<[Orders]>);
  opened.push(consumer);
  return { consumer, groupId };
}

async function committed(transport: KafkaTransport, groupId: string, topic: string): Promise<string> {
  const [partition] = await transport.admin().groupOffsets(groupId, topic);
  return partition?.offset ?? 'none';
}

function failingVersionStore(failures: (key: string) => boolean): VersionStore & { recordAttempts: number } {
  const inner = createMemoryVersionStore();
  const store = {
    recordAttempts: 0,
    latest: (keys: readonly string[]) => inner.latest(keys),
    async record(entries: readonly { key: string; version: number }[]) {
      store.recordAttempts += 1;
      if (entries.some(({ key }) => failures(key))) throw new Error('version store write failed');
      await inner.record(entries);
    },
    close: () => inner.close(),
  };
  return store;
}

describe('a store call that fails after the handler succeeded', () => {
  it('is retried, and the partition commits past it', async () => {
    const { transport, orders } = setup();
    await produce(
      transport,
      orders,
      Array.from({ length: 20 }, (_, index) => `o-${index}`),
    );
    let failuresLeft = 1;
    const store = failingVersionStore(() => failuresLeft-- > 0);
    const { consumer, groupId } = consumerWith(transport, orders, { versionGate: { store } });
    await consumer.start();
    await until(() => consumer.stats().handled === 20, '20 handled');
    await until(async () => (await committed(transport, groupId, orders.name)) === '20', 'all 20 committed');
    expect(consumer.stats().uncommitted[`${orders.name}/0`]).toBe(0);
    // The failed write was one coalesced call for the events of its turn: each caller retried.
    expect(consumer.stats().serviceRetries).toBeGreaterThanOrEqual(1);
  });

  it('stops the consumer after its retries, reported, committing nothing past the event', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, ['o-0', 'o-1', 'o-2', 'o-bad', 'o-4', 'o-5']);
    const store = failingVersionStore((key) => key.endsWith('o-bad'));
    const logged: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (message: string) => void logged.push(message),
    };
    // One at a time, so that the failing write is o-bad's alone (a coalesced write that fails
    // fails every event in it).
    const { consumer, groupId } = consumerWith(transport, orders, {
      versionGate: { store },
      logger,
      maxConcurrency: 1,
    });
    await consumer.start();
    const failure = await consumer.stopped();
    expect(InletError.is(failure)).toBe(true);
    expect(failure?.message).toMatch(/version store/);
    expect(failure?.message).toMatch(/after 3 attempts/);
    expect(failure?.message).toMatch(/version store write failed/);
    expect(consumer.stats().state).toBe('failed');
    expect(logged).toContain('consumer stopped');
    expect(await committed(transport, groupId, orders.name)).toBe('3');
    // o-0 to o-2 wrote once each, o-bad tried 1 + 2 times, and nothing started after it.
    expect(store.recordAttempts).toBe(3 + 3);
    expect(consumer.stats().handled).toBe(3);
  });

  it('treats a store whose call throws synchronously as a failing store, not a crash', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, ['o-0']);
    const broken: DedupStore = {
      seen() {
        throw new TypeError('store.seen is broken');
      },
      mark: async () => undefined,
      close: async () => undefined,
    };
    const { consumer } = consumerWith(transport, orders, { dedup: { store: broken } });
    await consumer.start();
    const failure = await consumer.stopped();
    expect(failure?.message).toMatch(/dedup store/);
    expect(failure?.message).toMatch(/store.seen is broken/);
  });
});

describe('a dead letter that cannot be written', () => {
  function rawRecord(topic: string, valueBytes: number) {
    // A record that looks like an Inlet event but whose value is not Avro: it must be dead-lettered.
    return {
      topic,
      key: Buffer.from('o-big'),
      value: Buffer.alloc(valueBytes, 0xff),
      headers: {
        ce_specversion: '1.0',
        ce_id: 'big-1',
        ce_source: 'urn:test',
        ce_type: 'order.updated',
        ce_time: new Date().toISOString(),
        'content-type': 'application/avro',
      },
    };
  }

  it('is written truncated, with a header saying so, when it cannot fit whole', async () => {
    const { transport, orders } = setup({ maxRecordBytes: 20_000 });
    const producer = transport.producer();
    // The source record fits the limit; with the dead-letter headers it would not.
    await producer.send([rawRecord(orders.name, 19_700)]);
    const { consumer, groupId } = consumerWith(transport, orders, {});
    await consumer.start();
    await until(() => consumer.stats().deadLettered === 1, 'the record dead-lettered');
    await until(async () => (await committed(transport, groupId, orders.name)) === '1', 'committed');
    const letters: IncomingRecord[] = [];
    const reader = transport.consumer({ groupId: `reader-${++counter}` });
    opened.push(reader);
    await reader.subscribe([`${orders.name}.dlq`]);
    await reader.run({ onBatch: async (batch) => void letters.push(...batch.records) });
    await until(() => letters.length === 1, 'the dead letter read');
    const letter = letters[0] as IncomingRecord;
    expect(letter.headers[DeadLetterHeader.valueTruncated]?.toString()).toBe('19700');
    expect(letter.headers[DeadLetterHeader.errorCode]?.toString()).toBe(InletErrorCode.malformedPayload);
    expect(letter.value?.length ?? 0).toBeLessThan(19_700);
    expect(letter.headers.ce_id?.toString()).toBe('big-1');
  });

  it('stops the consumer with a typed error when the failure is not retryable, never retrying forever', async () => {
    const { transport, orders } = setup();
    await transport.producer().send([rawRecord(orders.name, 10)]);
    const { consumer } = consumerWith(transport, orders, {
      deadLetter: { topic: () => 'not a legal topic name' },
    });
    await consumer.start();
    const failure = await consumer.stopped();
    expect(failure?.code).toBe(ConsumerErrorCode.deadLetterFailed);
    expect(failure?.message).toMatch(/not a legal topic name/);
  });
});

describe('a registry-framed record without a registry', () => {
  it('is dead-lettered saying that no registry is configured', async () => {
    const { transport, orders } = setup();
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), Buffer.from('payload')]);
    await transport.producer().send([
      {
        topic: orders.name,
        key: Buffer.from('o-1'),
        value: framed,
        headers: {
          ce_specversion: '1.0',
          ce_id: 'framed-1',
          ce_source: 'urn:test',
          ce_type: 'order.updated',
          ce_time: new Date().toISOString(),
          'content-type': 'application/avro; wire=confluent',
        },
      },
    ]);
    const errors: string[] = [];
    const { consumer } = consumerWith(transport, orders, {
      logger: {
        debug: () => undefined,
        info: () => undefined,
        error: () => undefined,
        warn: (message: string, fields?: Readonly<Record<string, unknown>>) => {
          if (message === 'event dead-lettered') errors.push(String(fields?.code));
        },
      },
    });
    await consumer.start();
    await until(() => consumer.stats().deadLettered === 1, 'the record dead-lettered');
    const letters: IncomingRecord[] = [];
    const reader = transport.consumer({ groupId: `reader-${++counter}` });
    opened.push(reader);
    await reader.subscribe([`${orders.name}.dlq`]);
    await reader.run({ onBatch: async (batch) => void letters.push(...batch.records) });
    await until(() => letters.length === 1, 'the dead letter read');
    expect(errors).toEqual([InletErrorCode.unknownSchemaId]);
    expect(letters[0]?.headers[DeadLetterHeader.errorMessage]?.toString()).toMatch(
      /no schema registry is configured/,
    );
  });
});

describe('with dead-lettering off', () => {
  it('stops the consumer when an event keeps failing, instead of leaving it uncommitted forever', async () => {
    const { transport, orders } = setup();
    await produce(transport, orders, ['o-0', 'o-bad', 'o-2']);
    const { consumer, groupId } = consumerWith(transport, orders, {
      deadLetter: false,
      handle: async (event) => {
        if (event.key === 'o-bad') throw new Error('cannot handle o-bad');
      },
    });
    await consumer.start();
    const failure = await consumer.stopped();
    expect(failure?.code).toBe(InletErrorCode.handlerFailed);
    expect(failure?.message).toMatch(/cannot handle o-bad/);
    expect(await committed(transport, groupId, orders.name)).toBe('1');
  });
});
