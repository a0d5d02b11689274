import { createInMemoryBackbone } from '@inlet/backbone';
import {
  decodeEventRecord,
  type IncomingRecord,
  InletError,
  InletKafkaError,
  type KafkaTransport,
  partitionForKey,
  type TopicDefinition,
} from '@inlet/core';
import { createEmbeddedRegistry, createSchemaResolver } from '@inlet/schema';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { faultyTransport } from './fixtures/faulty-transport.fixture';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { BatchRefusedError, createProducer, type InletProducer } from './producer';
import { SendFailedError } from './send-failed-error';

let counter = 0;
const topicName = () => `producer-unit-${++counter}`;
const retryable = () =>
  new InletKafkaError('INLET_KAFKA_NOT_LEADER', 'leader moved', 'NOT_LEADER_OR_FOLLOWER', {
    retryable: true,
  });
const fatal = () =>
  new InletKafkaError('INLET_KAFKA_AUTHORIZATION', 'not allowed', 'TOPIC_AUTHORIZATION_FAILED');

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

// Each test names its own topics; the backbone makes them on first use.
function backbone(): KafkaTransport {
  const transport = createInMemoryBackbone({ defaultPartitions: 3, autoCreateTopics: true });
  opened.push(transport);
  return transport;
}

function producerOn(
  transport: KafkaTransport,
  extra: Partial<Parameters<typeof createProducer>[0]> = {},
): InletProducer {
  const producer = createProducer({ transport, source: 'urn:test:producer', linger: { ms: 2 }, ...extra });
  opened.push(producer);
  return producer;
}

// Reads a topic from the start: `count` records, or (without transactions) all up to the end.
async function readAll(
  transport: KafkaTransport,
  topic: TopicDefinition,
  count?: number,
): Promise<IncomingRecord[]> {
  const admin = transport.admin();
  const offsets = await admin.topicOffsets(topic.name).catch(() => []);
  const expected = count ?? offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  const records: IncomingRecord[] = [];
  if (expected === 0) return records;
  const consumer = transport.consumer({ groupId: `reader-${++counter}` });
  await consumer.subscribe([topic.name]);
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    onBatch: async (batch) => {
      records.push(...batch.records);
      if (records.length >= expected) done();
    },
  });
  await finished;
  await consumer.close();
  return records;
}

describe('producer on the in-memory backbone', () => {
  it('validates, stamps, keys and sends events that consumers decode exactly', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport);
    const result = await producer.send(orders, placed('order-7', 1, 12.5));
    expect(result).toMatchObject({ type: 'order.placed', topic: orders.name, offset: '0' });
    expect(result.partition).toBe(partitionForKey(Buffer.from('order-7'), 3));
    const [record] = await readAll(transport, orders);
    const event = decodeEventRecord(record as IncomingRecord, orders);
    expect(event).toMatchObject({
      id: result.id,
      type: 'order.placed',
      key: 'order-7',
      source: 'urn:test:producer',
    });
    expect(event.data).toMatchObject({ orderId: 'order-7', sequence: 1, total: 12.5 });
  });

  it('refuses invalid events before sending, naming what is wrong, and sends nothing', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport);
    await expect(
      producer.send(orders, { type: 'order.noted', data: { orderId: '', note: 'x', at: 'nope' } }),
    ).rejects.toMatchObject({
      code: 'INLET_VALIDATION_FAILED',
      eventType: 'order.noted',
    });
    await expect(
      producer.send(orders, {
        type: 'order.placed',
        data: { orderId: 'o', sequence: 1, total: 1, placedAt: new Date(Date.UTC(1970, 0, 2)) },
      }),
    ).rejects.toMatchObject({ code: 'INLET_INVALID_EVENT_TIME' });
    await expect(producer.send(orders, { type: 'order.unknown', data: {} } as never)).rejects.toThrow(
      /defines no "order.unknown"/,
    );
    expect(await readAll(transport, orders)).toHaveLength(0);
    expect(producer.stats().refused).toBe(3);
  });

  it('sends nothing of a batch with one invalid event, and says which', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport);
    const events = [
      placed('a', 1),
      placed('b', 1),
      { type: 'order.placed' as const, data: { ...placed('c', 1).data, total: 'lots' } },
    ];
    const error = await producer.sendBatch(orders, events as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchRefusedError);
    expect((error as BatchRefusedError).failures.map((failure) => failure.index)).toEqual([2]);
    expect(await readAll(transport, orders)).toHaveLength(0);
  });

  it('refuses an event larger than maxRecordBytes before sending', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport, { maxRecordBytes: 600 });
    const note = {
      type: 'order.noted' as const,
      data: { orderId: 'o', note: 'x'.repeat(1000), at: new Date().toISOString() },
    };
    await expect(producer.send(orders, note)).rejects.toMatchObject({
      code: 'INLET_KAFKA_MESSAGE_TOO_LARGE',
    });
    expect(await readAll(transport, orders)).toHaveLength(0);
  });

  it('coalesces concurrent awaited sends into batches, keeping per-key order', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport, { linger: { ms: 20, maxRecords: 100 } });
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        producer.send(orders, placed(`key-${index % 7}`, Math.floor(index / 7))),
      ),
    );
    expect(producer.stats().meanBatchRecords).toBeGreaterThan(20);
    const bySequence = new Map<string, number[]>();
    for (const record of await readAll(transport, orders)) {
      const event = decodeEventRecord(record, orders);
      const data = event.data as { orderId: string; sequence: number };
      bySequence.set(data.orderId, [...(bySequence.get(data.orderId) ?? []), data.sequence]);
    }
    for (const sequences of bySequence.values())
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(results.map((result) => result.id)).size).toBe(300);
  });

  it('retries retryable failures with backoff and delivers once, in order', async () => {
    const base = backbone();
    const transport = faultyTransport(base, (attempt) => (attempt < 3 ? retryable() : undefined));
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport, { retry: { minDelayMs: 1, maxDelayMs: 5 } });
    await Promise.all([1, 2, 3].map((sequence) => producer.send(orders, placed('k', sequence))));
    expect(producer.stats()).toMatchObject({ sent: 3, retries: 3, failed: 0 });
    const sequences = (await readAll(base, orders)).map(
      (record) => (decodeEventRecord(record, orders).data as { sequence: number }).sequence,
    );
    expect(sequences).toEqual([1, 2, 3]);
  });

  it('fails events at once on a non-retryable error, with their ids, and keeps going', async () => {
    const base = backbone();
    const transport = faultyTransport(base, (attempt) => (attempt === 0 ? fatal() : undefined));
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport);
    const error = await producer.send(orders, placed('k', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendFailedError);
    expect((error as SendFailedError).cause).toMatchObject({ code: 'INLET_KAFKA_AUTHORIZATION' });
    expect((error as SendFailedError).eventIds).toHaveLength(1);
    await producer.send(orders, placed('k', 2));
    expect(producer.stats()).toMatchObject({ sent: 1, failed: 1 });
  });

  it('gives up after the retry budget or the delivery timeout, reporting every event', async () => {
    const base = backbone();
    const orders = ordersTopic(topicName());
    const budget = producerOn(
      faultyTransport(base, () => retryable()),
      { retry: { retries: 2, minDelayMs: 1, maxDelayMs: 1 } },
    );
    const error = await budget.sendBatch(orders, [placed('a', 1), placed('b', 1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendFailedError);
    expect((error as SendFailedError).eventIds).toHaveLength(2);
    expect((error as SendFailedError).message).toMatch(/retry budget/);

    const timeout = producerOn(
      faultyTransport(base, () => retryable()),
      {
        retry: { retries: 1000, minDelayMs: 10, maxDelayMs: 10, deliveryTimeoutMs: 100 },
      },
    );
    await expect(timeout.send(orders, placed('c', 1))).rejects.toThrow(/delivery timeout/);
    expect(await readAll(base, orders)).toHaveLength(0);
  });

  it('bounds the buffer: senders wait for room, or fail fast when told to', async () => {
    const base = backbone();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const orders = ordersTopic(topicName());
    const stalled = faultyTransport(base, async () => {
      await gate;
      return undefined;
    });
    const waiting = producerOn(stalled, { linger: { ms: 0, maxRecords: 2 }, buffer: { maxRecords: 4 } });
    const sends = Array.from({ length: 10 }, (_, index) => waiting.send(orders, placed(`k${index}`, 1)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waiting.stats().bufferedRecords).toBeLessThanOrEqual(4);
    release();
    await Promise.all(sends);
    expect(waiting.stats().sent).toBe(10);

    const failing = producerOn(
      faultyTransport(base, () => new Promise<undefined>(() => undefined)),
      {
        linger: { ms: 0, maxRecords: 1 },
        buffer: { maxRecords: 2, whenFull: 'fail' },
      },
    );
    void failing.send(orders, placed('x', 1)).catch(() => undefined);
    void failing.send(orders, placed('y', 1)).catch(() => undefined);
    await expect(failing.send(orders, placed('z', 1))).rejects.toMatchObject({ code: 'INLET_BUFFER_FULL' });
    await failing.close({ signal: AbortSignal.abort() });
  });

  it('stops waiting for room when the signal fires', async () => {
    const base = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(
      faultyTransport(base, () => new Promise<undefined>(() => undefined)),
      {
        linger: { ms: 0, maxRecords: 1 },
        buffer: { maxRecords: 1 },
      },
    );
    void producer.send(orders, placed('x', 1)).catch(() => undefined);
    const controller = new AbortController();
    const waiting = producer.send(orders, placed('y', 1), { signal: controller.signal });
    controller.abort(new Error('request cancelled'));
    await expect(waiting).rejects.toMatchObject({ code: 'INLET_ABORTED' });
    await producer.close({ signal: AbortSignal.abort() });
  });

  it('close() delivers everything accepted, then refuses new events', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = createProducer({ transport, linger: { ms: 1000 } });
    const pending = Array.from({ length: 25 }, (_, index) => producer.send(orders, placed(`k${index}`, 1)));
    await producer.close();
    await producer.close();
    expect(await Promise.all(pending)).toHaveLength(25);
    await expect(producer.send(orders, placed('late', 1))).rejects.toMatchObject({ code: 'INLET_CLOSED' });
    expect(await readAll(transport, orders)).toHaveLength(25);
  });

  it('close({ signal }) fails what is left when it cannot be delivered in time', async () => {
    const base = backbone();
    const orders = ordersTopic(topicName());
    const producer = createProducer({
      transport: faultyTransport(base, () => retryable()),
      retry: { minDelayMs: 50, maxDelayMs: 50 },
    });
    const pending = producer.send(orders, placed('k', 1));
    await producer.close({ signal: AbortSignal.timeout(100) });
    await expect(pending).rejects.toBeInstanceOf(SendFailedError);
  });

  it('commits transactions across topics atomically and aborts them on error', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const audit = ordersTopic(topicName());
    const producer = producerOn(transport, { transactionalId: `tx-${counter}` });
    await expect(producer.send(orders, placed('k', 1))).rejects.toMatchObject({
      code: 'INLET_INVALID_OPTION',
    });
    await expect(
      producer.transaction(async (tx) => {
        await tx.send(orders, placed('aborted', 1));
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const sent = await producer.transaction(async (tx) => {
      await tx.send(orders, placed('committed', 1));
      return tx.sendBatch(audit, [placed('committed', 1), placed('committed', 2)]);
    });
    expect(sent).toHaveLength(2);
    // Offsets 0 (aborted), 1 (its marker), 2 (committed), 3 (its marker): one record is visible.
    expect(
      (await transport.admin().topicOffsets(orders.name)).reduce((sum, p) => sum + Number(p.high), 0),
    ).toBe(4);
    const visible = await readAll(transport, orders, 1);
    expect(
      visible.map((record) => (decodeEventRecord(record, orders).data as { orderId: string }).orderId),
    ).toEqual(['committed']);
    expect(await readAll(transport, audit, 2)).toHaveLength(2);
  });

  it('frames values with schema ids from a registry, and refuses unregistered schemas when told to', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const registry = createEmbeddedRegistry();
    const producer = producerOn(transport, { registry: createSchemaResolver({ registry }) });
    await producer.send(orders, placed('k', 1));
    const [record] = await readAll(transport, orders);
    expect(record?.value?.[0]).toBe(0);
    expect(String(record?.headers['content-type'])).toBe('application/avro; wire=confluent');
    expect(await registry.subjects()).toEqual([`${orders.name}-order.placed`]);

    const strict = producerOn(transport, {
      registry: createSchemaResolver({ registry, registration: 'require-registered' }),
    });
    await expect(
      strict.send(orders, {
        type: 'order.noted',
        data: { orderId: 'k', note: 'n', at: new Date().toISOString() },
      }),
    ).rejects.toMatchObject({
      code: 'INLET_SCHEMA_NOT_REGISTERED',
    });
  });

  it('waits out a registry outage within the delivery timeout', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const resolver = createSchemaResolver({ registry: createEmbeddedRegistry() });
    let outages = 3;
    const flaky = {
      ...resolver,
      schemaIdFor: (topic: string, definition: Parameters<typeof resolver.schemaIdFor>[1]) =>
        outages-- > 0
          ? Promise.reject(new InletError('INLET_REGISTRY_UNAVAILABLE', 'registry down', { retryable: true }))
          : resolver.schemaIdFor(topic, definition),
    };
    const producer = producerOn(transport, { registry: flaky, retry: { minDelayMs: 1, maxDelayMs: 2 } });
    await producer.send(orders, placed('k', 1));
    const impatient = producerOn(transport, {
      registry: {
        ...flaky,
        schemaIdFor: () =>
          Promise.reject(new InletError('INLET_REGISTRY_UNAVAILABLE', 'down', { retryable: true })),
      },
      retry: { minDelayMs: 5, maxDelayMs: 5, deliveryTimeoutMs: 50 },
    });
    await expect(
      impatient.send(orders, {
        type: 'order.noted',
        data: { orderId: 'k', note: 'n', at: new Date().toISOString() },
      }),
    ).rejects.toMatchObject({
      code: 'INLET_REGISTRY_UNAVAILABLE',
    });
    expect(await readAll(transport, orders)).toHaveLength(1);
  });

  it('refuses bad options, naming them', () => {
    const transport = backbone();
    expect(() => createProducer({})).toThrow(/transport/);
    expect(() => createProducer({ transport, linger: { ms: -1 } })).toThrow(/linger.ms/);
    expect(() => createProducer({ transport, buffer: { maxRecords: 10 } })).toThrow(/buffer.maxRecords/);
    expect(() => createProducer({ transport, recordTimestamp: 'now' as never })).toThrow(/recordTimestamp/);
  });
});

describe('trace context', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('stamps the active OpenTelemetry span, or the one given', async () => {
    const transport = backbone();
    const orders = ordersTopic(topicName());
    const producer = producerOn(transport);
    const spanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    };
    await context.with(trace.setSpanContext(context.active(), spanContext), () =>
      producer.send(orders, placed('k', 1)),
    );
    await producer.send(orders, {
      ...placed('k', 2),
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
    });
    const events = (await readAll(transport, orders)).map((record) => decodeEventRecord(record, orders));
    expect(events.map((event) => event.traceparent)).toEqual([
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
    ]);
  });
});
