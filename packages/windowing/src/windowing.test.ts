import { createInMemoryBackbone } from '@inlet/backbone';
import {
  createEvent,
  encodeEventRecord,
  type KafkaTransport,
  partitionForKey,
  type TransportProducer,
} from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { count, sum } from './aggregations';
import { tumbling } from './window-kinds';
import type { WindowOutput } from './window-operator';
import { createWindowing } from './windowing';
import { Sale, salesTopic, storePerPartition } from './windowing.test-support';
import { WindowingErrorCode } from './windowing-error-code';

// Aligned to the minute, in the believable range of event times.
const base = Date.UTC(2026, 10, 1);
let counter = 0;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

function setup() {
  const transport = createInMemoryBackbone({ defaultPartitions: 3, autoCreateTopics: true });
  opened.push(transport);
  const sales = salesTopic(`sales-${++counter}`);
  return { transport, sales };
}

async function produce(
  transport: KafkaTransport,
  topic: ReturnType<typeof setup>['sales'],
  sales: readonly [string, number, number][],
) {
  const producer = createProducer({ transport, linger: { ms: 0 } });
  for (const [store, amount, at] of sales)
    await producer.send(topic, { type: 'sale.made', data: { store, amount, at: base + at } });
  await producer.close();
}

/** A sale at `at` on every partition (no partition has to go idle for the windows before it to close). */
function closing(at: number): [string, number, number][] {
  return storePerPartition().map((store) => [store, 0, at]);
}

function finals(outputs: readonly WindowOutput<number>[]): Map<string, number> {
  const latest = new Map<string, number>();
  for (const item of outputs)
    if (item.type === 'result' && item.final) latest.set(`${item.key}@${item.start - base}`, item.value);
  return latest;
}

describe('createWindowing', () => {
  it('counts tumbling windows per key and emits each once it closes', async () => {
    const { transport, sales } = setup();
    await produce(transport, sales, [
      ['s1', 5, 1_000],
      ['s1', 7, 30_000],
      ['s2', 1, 59_999],
      ['s1', 2, 61_000],
      ...closing(200_000),
    ]);
    const outputs: WindowOutput<number>[] = [];
    const windowing = createWindowing({
      transport,
      groupId: `g-${counter}`,
      topics: [sales],
      window: tumbling({ sizeMs: 60_000 }),
      aggregation: sum((sale: { data: { amount: number } }) => sale.data.amount),
      output: { onResults: (items) => void outputs.push(...items) },
    });
    opened.push(windowing);
    await windowing.start();
    await windowing.caughtUp({ timeoutMs: 10_000 });
    await expect.poll(() => finals(outputs).size, { timeout: 5_000 }).toBe(3);
    expect(finals(outputs)).toEqual(
      new Map([
        ['s1@0', 12],
        ['s2@0', 1],
        ['s1@60000', 2],
      ]),
    );
    expect(windowing.stats().checkpoints).toBeGreaterThan(0);
  });

  it('restores its state from the changelog: a restart counts each event once', async () => {
    const { transport, sales } = setup();
    const groupId = `g-${counter}`;
    const make = (outputs: WindowOutput<number>[]) =>
      createWindowing({
        transport,
        groupId,
        topics: [sales],
        window: tumbling({ sizeMs: 60_000 }),
        aggregation: count(),
        output: { onResults: (items) => void outputs.push(...items) },
      });
    await produce(transport, sales, [
      ['s1', 1, 1_000],
      ['s1', 1, 2_000],
      ['s2', 1, 3_000],
    ]);
    const first: WindowOutput<number>[] = [];
    const before = make(first);
    await before.start();
    await before.caughtUp({ timeoutMs: 10_000 });
    await before.close();
    expect(finals(first).size).toBe(0);
    await produce(transport, sales, [['s1', 1, 4_000], ...closing(120_000)]);
    const second: WindowOutput<number>[] = [];
    const after = make(second);
    opened.push(after);
    await after.start();
    await after.caughtUp({ timeoutMs: 10_000 });
    expect(after.stats().restored.partitions).toBe(3);
    await expect.poll(() => finals(second).size, { timeout: 5_000 }).toBe(2);
    expect(finals(second)).toEqual(
      new Map([
        ['s1@0', 3],
        ['s2@0', 1],
      ]),
    );
  });

  // A producer that places keys by another partitioner (librdkafka's default, CRC32) puts a store
  // in a second partition: two sets of windows for one key, whose results would collide.
  it.each([
    ['stops with INLET_WINDOWING_KEY_IN_TWO_PARTITIONS', true],
    ['with checkKeyPartitions: false, goes on', false],
  ] as const)('a key in two partitions: %s', async (_, checked) => {
    const { transport, sales } = setup();
    await produce(transport, sales, [['s1', 5, 1_000]]);
    const placed = partitionForKey(Buffer.from('s1'), 3);
    const elsewhere = (placed + 1) % 3;
    const misplaced = encodeEventRecord(
      sales.name,
      createEvent(Sale, { store: 's1', amount: 7, at: base + 2_000 }, { source: 'urn:other-producer' }),
      Sale,
    );
    const producer = transport.producer();
    await producer.send([{ ...misplaced, partition: elsewhere }]);
    await producer.close();
    const windowing = createWindowing({
      transport,
      groupId: `split-${counter}`,
      topics: [sales],
      window: tumbling({ sizeMs: 60_000 }),
      aggregation: count(),
      output: { onResults: () => undefined },
      ...(checked ? {} : { checkKeyPartitions: false }),
    } as Parameters<typeof createWindowing>[0]);
    opened.push(windowing);
    await windowing.start();
    if (checked) {
      const failure = await windowing.stopped();
      expect(failure?.code).toBe(WindowingErrorCode.keyInTwoPartitions);
      expect(failure?.message).toContain(`key "s1" came in`);
    } else {
      await windowing.caughtUp({ timeoutMs: 5_000 });
      expect(windowing.stats().consumer.handled).toBe(2);
      expect(windowing.stats().consumer.state).toBe('running');
    }
  });

  it('goes on handling batches while a checkpoint is being written', async () => {
    const { transport: backbone, sales } = setup();
    let holding = false;
    let heldCommits = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transport = withCommitGate(backbone, () => {
      if (!holding) return Promise.resolve();
      heldCommits++;
      return released;
    });
    await produce(backbone, sales, [['s1', 1, 1_000]]);
    let now = Date.now();
    const windowing = createWindowing({
      transport,
      groupId: `writing-${counter}`,
      topics: [sales],
      window: tumbling({ sizeMs: 60_000 }),
      aggregation: count(),
      output: { onResults: () => undefined },
      checkpointIntervalMs: 10_000,
      clock: () => now,
    });
    opened.push(windowing);
    await windowing.start();
    await until(() => windowing.stats().consumer.handled === 1);
    // The next batch finds a checkpoint due; its transaction's commit hangs until released.
    holding = true;
    now += 20_000;
    await produce(backbone, sales, [['s1', 1, 2_000]]);
    await until(() => heldCommits === 1);
    // Batches of the same partition go on while it is written.
    await produce(backbone, sales, [
      ['s1', 1, 3_000],
      ['s1', 1, 4_000],
    ]);
    await until(() => windowing.stats().consumer.handled === 4);
    expect(windowing.stats().checkpoints).toBe(0);
    release();
    await until(() => windowing.stats().checkpoints === 1);
    expect(windowing.stats().consumer.state).toBe('running');
  });
});

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The transport, with every transaction's commit waiting for `gate()` first. */
function withCommitGate(inner: KafkaTransport, gate: () => Promise<void>): KafkaTransport {
  const gatedProducer = (producer: TransportProducer): TransportProducer =>
    forwarding(producer, {
      transaction: async () => {
        const transaction = await producer.transaction();
        return forwarding(transaction, {
          commit: async () => {
            await gate();
            return transaction.commit();
          },
        });
      },
    });
  return forwarding(inner, { producer: (options) => gatedProducer(inner.producer(options)) });
}

/** `target`, with some of its methods replaced; the rest called on `target` itself. */
function forwarding<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in replaced) return replaced[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
