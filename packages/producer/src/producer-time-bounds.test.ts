import { createInMemoryBackbone } from '@inlet/backbone';
import { InletError, type KafkaTransport } from '@inlet/core';
import { createEmbeddedRegistry, createSchemaResolver } from '@inlet/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { faultyTransport } from './fixtures/faulty-transport.fixture';
import { ordersTopic, placed } from './fixtures/orders.fixture';
import { createProducer } from './producer';
import { SendFailedError } from './send-failed-error';

let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

// Scheduling on a shared two-core machine: bounds are asserted with this much slack.
const marginMs = 1_000;

async function backboneWithTopic() {
  const transport = createInMemoryBackbone({ defaultPartitions: 2 });
  opened.push(transport);
  const orders = ordersTopic(`producer-bounds-${++counter}`);
  await transport.admin().createTopics([{ topic: orders.name, partitions: 2 }]);
  return { transport, orders };
}

const never = () => new Promise<undefined>(() => undefined);

interface Outcome {
  readonly settled: boolean;
  readonly elapsedMs: number;
  readonly value?: unknown;
  readonly error?: unknown;
}

/** Resolves with how a promise ended and when, or with `settled: false` after `waitMs`. */
async function outcomeWithin(promise: Promise<unknown>, waitMs: number): Promise<Outcome> {
  const started = Date.now();
  const timedOut = Symbol('still pending');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), waitMs);
    }),
  ]);
  clearTimeout(timer);
  const elapsedMs = Date.now() - started;
  if (result === timedOut) return { settled: false, elapsedMs };
  return { settled: true, elapsedMs, ...result };
}

/** A transport whose producers never answer a send and never finish closing: a hung broker. */
function hungTransport(base: KafkaTransport): KafkaTransport {
  const stalled = faultyTransport(base, never);
  return {
    ...stalled,
    producer(options) {
      const producer = stalled.producer(options);
      return { ...producer, close: () => new Promise<void>(() => undefined) };
    },
  };
}

describe('producer: the delivery timeout bounds every send from call to outcome', () => {
  it('fails a send whose attempt the transport never answers at the delivery timeout, as unknown', async () => {
    const { transport, orders } = await backboneWithTopic();
    const producer = createProducer({
      transport: faultyTransport(transport, never),
      retry: { deliveryTimeoutMs: 300 },
    });
    opened.push({ close: () => producer.close({ signal: AbortSignal.abort() }) });

    const outcome = await outcomeWithin(producer.send(orders, placed('k', 1)), 300 + marginMs);

    expect(outcome.settled).toBe(true);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(outcome.error).toBeInstanceOf(SendFailedError);
    const error = outcome.error as SendFailedError;
    expect(error.reason).toBe('delivery-timeout');
    expect(error.message).toMatch(/may have been written/);
    expect(error.cause).toMatchObject({ code: 'INLET_TIMEOUT' });
    expect(error.eventIds).toHaveLength(1);
  });

  it('counts the time a send waits for room in the buffer', async () => {
    const { transport, orders } = await backboneWithTopic();
    const producer = createProducer({
      transport: faultyTransport(transport, never),
      linger: { ms: 0, maxRecords: 1 },
      buffer: { maxRecords: 1 },
      retry: { deliveryTimeoutMs: 300 },
    });
    opened.push({ close: () => producer.close({ signal: AbortSignal.abort() }) });
    const first = producer.send(orders, placed('a', 1));
    const waiting = producer.sendBatch(orders, [placed('b', 1)]);

    const [firstOutcome, waitingOutcome] = await Promise.all([
      outcomeWithin(first, 300 + marginMs),
      outcomeWithin(waiting, 300 + marginMs),
    ]);

    expect(firstOutcome).toMatchObject({ settled: true, error: expect.any(SendFailedError) });
    expect(waitingOutcome.settled).toBe(true);
    expect(InletError.hasCode(waitingOutcome.error, 'INLET_BUFFER_FULL', 'INLET_SEND_FAILED')).toBe(true);
  });

  it('fails a send whose schema-id lookup never answers at the delivery timeout; nothing is sent', async () => {
    const { transport, orders } = await backboneWithTopic();
    const resolver = createSchemaResolver({ registry: createEmbeddedRegistry() });
    const producer = createProducer({
      transport,
      registry: { ...resolver, schemaIdFor: never as unknown as typeof resolver.schemaIdFor },
      retry: { deliveryTimeoutMs: 300 },
    });
    opened.push(producer);

    const outcome = await outcomeWithin(producer.send(orders, placed('k', 1)), 300 + marginMs);

    expect(outcome.settled).toBe(true);
    expect(outcome.error).toMatchObject({ code: 'INLET_REGISTRY_UNAVAILABLE', retryable: true });
    expect((await transport.admin().topicOffsets(orders.name)).every((p) => p.high === '0')).toBe(true);
  });

  it('bounds a send inside a transaction the same way', async () => {
    const { transport, orders } = await backboneWithTopic();
    // Transactions whose sends the broker never answers; begin, commit and abort still work.
    const hungSends: KafkaTransport = {
      kind: transport.kind,
      consumer: (options) => transport.consumer(options),
      admin: () => transport.admin(),
      close: () => transport.close(),
      [Symbol.asyncDispose]: () => transport.close(),
      producer(options) {
        const producer = transport.producer(options);
        return {
          connect: () => producer.connect(),
          send: (records, sendOptions) => producer.send(records, sendOptions),
          partitionCount: (topic) => producer.partitionCount(topic),
          close: () => producer.close(),
          [Symbol.asyncDispose]: () => producer.close(),
          async transaction() {
            const transaction = await producer.transaction();
            return {
              send: never as unknown as typeof transaction.send,
              sendOffsets: (groupId, offsets) => transaction.sendOffsets(groupId, offsets),
              commit: () => transaction.commit(),
              abort: () => transaction.abort(),
              get isActive() {
                return transaction.isActive;
              },
            };
          },
        };
      },
    };
    const producer = createProducer({
      transport: hungSends,
      transactionalId: `bounds-tx-${counter}`,
      retry: { deliveryTimeoutMs: 300 },
    });
    opened.push(producer);

    const outcome = await outcomeWithin(
      producer.transaction((tx) => tx.send(orders, placed('k', 1))),
      300 + marginMs,
    );

    expect(outcome.settled).toBe(true);
    expect(outcome.error).toBeInstanceOf(SendFailedError);
    expect((outcome.error as SendFailedError).reason).toBe('delivery-timeout');
  });
});

describe('producer: close({ signal })', () => {
  it('returns when the signal fires, failing what is left, even when the transport never answers', async () => {
    const { transport, orders } = await backboneWithTopic();
    const producer = createProducer({ transport: hungTransport(transport) });
    const inFlight = producer.send(orders, placed('k', 1)).catch((error: unknown) => error);
    const resolver = createSchemaResolver({ registry: createEmbeddedRegistry() });
    const waitingForRegistry = createProducer({
      transport: hungTransport(transport),
      registry: { ...resolver, schemaIdFor: never as unknown as typeof resolver.schemaIdFor },
    });
    const unprepared = waitingForRegistry.send(orders, placed('k', 2)).catch((error: unknown) => error);
    // Let the first send reach the transport.
    await new Promise((resolve) => setTimeout(resolve, 20));

    const [closed, closedToo] = await Promise.all([
      outcomeWithin(producer.close({ signal: AbortSignal.timeout(100) }), 100 + marginMs),
      outcomeWithin(waitingForRegistry.close({ signal: AbortSignal.timeout(100) }), 100 + marginMs),
    ]);

    expect(closed).toMatchObject({ settled: true, value: undefined });
    expect(closedToo).toMatchObject({ settled: true, value: undefined });
    const failed = await inFlight;
    expect(failed).toBeInstanceOf(SendFailedError);
    expect((failed as SendFailedError).cause).toMatchObject({ code: 'INLET_CLOSED' });
    expect(await unprepared).toMatchObject({ code: 'INLET_CLOSED' });
  });
});
