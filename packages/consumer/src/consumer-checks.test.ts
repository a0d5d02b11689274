import { createInMemoryBackbone } from '@inlet/backbone';
import type { KafkaTransport, TopicEvent } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer, type InletConsumer } from './consumer';
import type { ConsumerOptions } from './consumer-options';
import { ordersTopic, updated } from './fixtures/orders.fixture';
import { createMemoryDedupStore, createMemoryVersionStore } from './stores/memory-stores';
import type { DedupStore, VersionStore } from './stores/stores';

// The order of checks, the same in every mode: decode, then dedup (a copy of an event already
// done is a duplicate), then the version gate (not newer than the last handled version: stale),
// then the handler. Within a batch the checks apply in offset order, as if one at a time.

type Orders = ReturnType<typeof ordersTopic>;
type OrderEvent = TopicEvent<Orders>;

let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Produces the sequence before the consumer starts, so that it arrives as one fetched batch. */
async function produced(
  transport: KafkaTransport,
  orders: Orders,
  sequence: readonly [string, string, number][],
) {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  const ids = new Map<string, string>();
  for (const [label, orderId, revision] of sequence) {
    const id = ids.get(label);
    const result = await producer.send(orders, {
      ...updated(orderId, revision),
      ...(id === undefined ? {} : { id }),
    });
    ids.set(label, result.id);
  }
  await producer.close();
}

function setup() {
  const transport = createInMemoryBackbone({ defaultPartitions: 1, autoCreateTopics: true });
  opened.push(transport);
  const orders = ordersTopic(`checks-${++counter}`);
  return { transport, orders };
}

type Mode = 'handle' | 'handleBatch';

function consumerIn(
  mode: Mode,
  transport: KafkaTransport,
  orders: Orders,
  extra: Partial<ConsumerOptions<[Orders]>>,
): { consumer: InletConsumer; handled: string[]; batches: number[] } {
  const handled: string[] = [];
  const batches: number[] = [];
  const label = (event: OrderEvent) =>
    `${event.key as string}@${(event.data as { revision: number }).revision}`;
  const handlers =
    mode === 'handle'
      ? { handle: async (event: OrderEvent) => void handled.push(label(event)) }
      : {
          handleBatch: async (events: readonly OrderEvent[]) => {
            batches.push(events.length);
            handled.push(...events.map(label));
          },
        };
  const consumer = createConsumer({
    transport,
    groupId: `group-${++counter}`,
    topics: [orders],
    commitIntervalMs: 20,
    ...handlers,
    ...extra,
  } as ConsumerOptions<[Orders]>);
  opened.push(consumer);
  return { consumer, handled, batches };
}

function done(consumer: InletConsumer): number {
  const { handled, duplicates, stale, deadLettered } = consumer.stats();
  return handled + duplicates + stale + deadLettered;
}

describe.each<Mode>(['handle', 'handleBatch'])('with %s', (mode) => {
  it('applies dedup and the version gate in offset order, also within one batch', async () => {
    const { transport, orders } = setup();
    // id A (revision 1), a copy of A, id B (revision 2), another copy of A, then C (revision 2 again)
    await produced(transport, orders, [
      ['A', 'o-1', 1],
      ['A', 'o-1', 1],
      ['B', 'o-1', 2],
      ['A', 'o-1', 1],
      ['C', 'o-1', 2],
    ]);
    const { consumer, handled, batches } = consumerIn(mode, transport, orders, {
      versionGate: { store: createMemoryVersionStore() },
    });
    await consumer.start();
    await until(() => done(consumer) === 5, 'five events done');
    expect(handled).toEqual(['o-1@1', 'o-1@2']);
    expect(consumer.stats()).toMatchObject({ handled: 2, duplicates: 2, stale: 1 });
    if (mode === 'handleBatch') expect(batches).toEqual([2]);
  });

  it('counts a copy of a stale event as a duplicate, with a store of its own too', async () => {
    const { transport, orders } = setup();
    await produced(transport, orders, [
      ['A', 'o-1', 5],
      ['B', 'o-1', 3],
      ['B', 'o-1', 3],
      ['A', 'o-1', 5],
    ]);
    const { consumer, handled } = consumerIn(mode, transport, orders, {
      dedup: { store: createMemoryDedupStore() },
      versionGate: { store: createMemoryVersionStore() },
    });
    await consumer.start();
    await until(() => done(consumer) === 4, 'four events done');
    expect(handled).toEqual(['o-1@5']);
    expect(consumer.stats()).toMatchObject({ handled: 1, duplicates: 2, stale: 1 });
  });

  it('remembers across batches what earlier batches handled', async () => {
    const { transport, orders } = setup();
    const { consumer, handled } = consumerIn(mode, transport, orders, {
      versionGate: { store: createMemoryVersionStore() },
    });
    await consumer.start();
    await produced(transport, orders, [['A', 'o-1', 2]]);
    await until(() => done(consumer) === 1, 'the first event');
    await produced(transport, orders, [
      ['B', 'o-1', 1],
      ['C', 'o-1', 3],
    ]);
    await until(() => done(consumer) === 3, 'all three');
    expect(handled).toEqual(['o-1@2', 'o-1@3']);
    expect(consumer.stats()).toMatchObject({ handled: 2, stale: 1 });
  });
});

describe('store calls are coalesced', () => {
  function countingVersionStore(): VersionStore & { latestCalls: number; recordCalls: number } {
    const inner = createMemoryVersionStore();
    const store = {
      latestCalls: 0,
      recordCalls: 0,
      latest(keys: readonly string[]) {
        store.latestCalls += 1;
        return inner.latest(keys);
      },
      record(entries: readonly { key: string; version: number }[]) {
        store.recordCalls += 1;
        return inner.record(entries);
      },
      close: () => inner.close(),
    };
    return store;
  }

  function countingDedupStore(): DedupStore & { calls: number } {
    const inner = createMemoryDedupStore();
    const store = {
      calls: 0,
      seen(keys: readonly string[]) {
        store.calls += 1;
        return inner.seen(keys);
      },
      mark(keys: readonly string[], ttlMs: number) {
        store.calls += 1;
        return inner.mark(keys, ttlMs);
      },
      close: () => inner.close(),
    };
    return store;
  }

  it('makes far fewer version store round trips than two per event', async () => {
    const { transport, orders } = setup();
    await produced(
      transport,
      orders,
      Array.from({ length: 200 }, (_, index) => [`e${index}`, `o-${index}`, 1] as [string, string, number]),
    );
    const versions = countingVersionStore();
    const marks = countingDedupStore();
    const { consumer } = consumerIn('handle', transport, orders, {
      versionGate: { store: versions },
      dedup: { store: marks },
    });
    await consumer.start();
    await until(() => done(consumer) === 200, '200 events');
    expect(consumer.stats().handled).toBe(200);
    expect(versions.latestCalls + versions.recordCalls).toBeLessThan(40);
    expect(marks.calls).toBeLessThan(40);
  });
});
