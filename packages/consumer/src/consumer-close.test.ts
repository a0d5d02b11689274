import { createInMemoryBackbone } from '@inlet/backbone';
import { createProducer } from '@inlet/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { ordersTopic, updated } from './fixtures/orders.fixture';

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

describe.each(['handle', 'handleBatch'] as const)('close() with %s', (mode) => {
  it('resolves only once no handler runs, and starts none after it was called', async () => {
    const transport = createInMemoryBackbone({ defaultPartitions: 4, autoCreateTopics: true });
    opened.push(transport);
    const orders = ordersTopic(`close-${mode}`);
    const producer = createProducer({ transport, linger: { ms: 0 } });
    opened.push(producer);
    await Promise.all(
      Array.from({ length: 40 }, (_, index) => producer.send(orders, updated(`o-${index}`, 1))),
    );
    let running = 0;
    let started = 0;
    let startedAborted = 0;
    // Ignores its signal: the work takes as long as it takes.
    const work = async (signal: AbortSignal) => {
      started += 1;
      if (signal.aborted) startedAborted += 1;
      running += 1;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      running -= 1;
    };
    const consumer = createConsumer({
      transport,
      groupId: `close-${mode}`,
      topics: [orders],
      maxConcurrency: 4,
      drainTimeoutMs: 300,
      ...(mode === 'handle'
        ? { handle: (_event, { signal }) => work(signal) }
        : { handleBatch: (_events, { signal }) => work(signal) }),
    });
    await consumer.start();
    await until(() => running > 0, 'handlers running');
    const startedBeforeClose = started;
    const closing = consumer.close();
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    await until(() => closed, 'close to resolve');
    expect(running).toBe(0);
    expect(started).toBe(startedBeforeClose);
    expect(startedAborted).toBe(0);
    // Nothing starts later either.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started).toBe(startedBeforeClose);
  });
});
