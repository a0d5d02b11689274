import { createInMemoryBackbone } from '@inlet/backbone';
import { ensureTopics } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { count } from './aggregations';
import { tumbling } from './window-kinds';
import type { WindowOutput } from './window-operator';
import { createWindowing } from './windowing';
import { salesTopic } from './windowing.test-support';

// The quiet-stream rule closes windows once every partition is idle and read to its end — also
// when a partition ends in records the windows never see (a dead letter, transaction markers).

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

async function quietRun(
  produce: (
    transport: ReturnType<typeof createInMemoryBackbone>,
    topic: ReturnType<typeof salesTopic>,
  ) => Promise<void>,
) {
  const transport = createInMemoryBackbone({ defaultPartitions: 3, autoCreateTopics: true });
  opened.push(transport);
  const topic = salesTopic(`quiet-${Math.random().toString(36).slice(2)}`);
  await ensureTopics(transport, [topic]);
  await produce(transport, topic);
  const outputs: WindowOutput<number>[] = [];
  const windowing = createWindowing({
    transport,
    groupId: 'quiet',
    topics: [topic],
    window: tumbling({ sizeMs: 60_000 }),
    aggregation: count(),
    quiet: { afterMs: 100 },
    tickMs: 20,
    output: { onResults: (items) => void outputs.push(...items) },
  });
  opened.push(windowing);
  await windowing.start();
  await expect.poll(() => windowing.stats().consumer.handled, { timeout: 10_000 }).toBe(6);
  await expect.poll(() => windowing.stats().openWindows, { timeout: 10_000 }).toBe(0);
  return { outputs, stats: windowing.stats() };
}

const minuteAgo = () => Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;

describe('the quiet-stream rule', () => {
  it('closes the windows of a stream whose partitions end with transaction markers', async () => {
    const { outputs } = await quietRun(async (transport, topic) => {
      const producer = createProducer({ transport, transactionalId: 'quiet-tx' });
      const at = minuteAgo();
      await producer.transaction(async (transaction) => {
        for (const store of ['a', 'b', 'c', 'd', 'e', 'f'])
          await transaction.send(topic, { type: 'sale.made', data: { store, amount: 1, at } });
      });
      await producer.close();
    });
    expect(outputs.filter((item) => item.type === 'result' && item.final)).toHaveLength(6);
  });

  it('closes them when a partition ends with a record that is dead-lettered', async () => {
    const { outputs, stats } = await quietRun(async (transport, topic) => {
      const producer = createProducer({ transport, linger: { ms: 0 } });
      const at = minuteAgo();
      for (const store of ['a', 'b', 'c', 'd', 'e', 'f'])
        await producer.send(topic, { type: 'sale.made', data: { store, amount: 1, at } });
      await producer.close();
      const raw = transport.producer();
      await raw.send(
        [0, 1, 2].map((partition) => ({
          topic: topic.name,
          partition,
          key: Buffer.from('x'),
          value: Buffer.from('not an event'),
        })),
      );
      await raw.close();
    });
    expect(outputs.filter((item) => item.type === 'result' && item.final)).toHaveLength(6);
    expect(stats.consumer.deadLettered).toBe(3);
  });
});
