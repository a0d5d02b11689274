import { createInMemoryBackbone } from '@inlet/backbone';
import { ensureTopics } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sum } from './aggregations';
import { tumbling } from './window-kinds';
import type { WindowOutput } from './window-operator';
import { createWindowing } from './windowing';
import { batchTumbling, type SaleRecord, salesTopic, storePerPartition } from './windowing.test-support';

// Generated streams through the whole of createWindowing on the in-memory backbone: decoded,
// deduplicated by id, windowed, checkpointed, and — at a random point — the instance closed and a
// new one started that restores from the changelog. Disorder stays within the allowed bound, so
// no event is late: the results must equal a batch computation over the distinct events.

const base = Date.UTC(2026, 10, 1);
const minute = 60_000;
const disorderMs = 20_000;
const closingStores = storePerPartition(3, 'end');

const saleArbitrary = fc.record({
  store: fc.constantFrom('s0', 's1', 's2', 's3', 's4', 's5', 's6'),
  amount: fc.integer({ min: 1, max: 50 }),
  step: fc.integer({ min: 0, max: 3_000 }),
  behind: fc.integer({ min: 0, max: disorderMs }),
  copies: fc.constantFrom(1, 1, 1, 2, 3),
});

function stream(
  generated: readonly { store: string; amount: number; step: number; behind: number; copies: number }[],
) {
  let clock = base;
  let maxTime = base;
  return generated.map((sale, index) => {
    clock += sale.step;
    // Behind the greatest time so far by at most the bound: never late.
    const at = Math.max(maxTime - disorderMs, clock - sale.behind);
    maxTime = Math.max(maxTime, at);
    return { id: `sale-${index}`, copies: sale.copies, sale: { store: sale.store, amount: sale.amount, at } };
  });
}

function finals(outputs: readonly WindowOutput<number>[]): Map<string, number> {
  const latest = new Map<string, { revision: number; value: number }>();
  for (const item of outputs) {
    if (item.type !== 'result') continue;
    const id = `${item.key}@${item.start}`;
    if ((latest.get(id)?.revision ?? 0) < item.revision)
      latest.set(id, { revision: item.revision, value: item.value });
  }
  return new Map([...latest].map(([id, { value }]) => [id, value]));
}

describe('createWindowing on the backbone against a batch computation', () => {
  it('equals it with duplicates, disorder and a restart at a random point', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(saleArbitrary, { minLength: 5, maxLength: 120 }),
        fc.double({ min: 0, max: 1 }),
        async (generated, cut) => {
          const transport = createInMemoryBackbone({ defaultPartitions: 3, autoCreateTopics: true });
          try {
            const topic = salesTopic(`prop-${Math.random().toString(36).slice(2)}`);
            await ensureTopics(transport, [topic]);
            const sales = stream(generated);
            const outputs: WindowOutput<number>[] = [];
            const make = () =>
              createWindowing({
                transport,
                groupId: 'prop',
                topics: [topic],
                window: tumbling({ sizeMs: minute }),
                aggregation: sum((sale: { data: SaleRecord }) => sale.data.amount),
                outOfOrdernessMs: disorderMs,
                output: { onResults: (items) => void outputs.push(...items) },
                idleTimeoutMs: 20,
                tickMs: 10,
                checkpointIntervalMs: 5,
              });
            const producer = createProducer({ transport, linger: { ms: 0 } });
            const send = async (part: typeof sales) => {
              for (const { id, copies, sale } of part)
                for (let copy = 0; copy < copies; copy++)
                  await producer.send(topic, { id, type: 'sale.made', data: sale });
            };
            const split = Math.floor(sales.length * cut);
            await send(sales.slice(0, split));
            const first = make();
            await first.start();
            await first.caughtUp({ timeoutMs: 10_000 });
            await first.close();
            await send(sales.slice(split));
            // A sale a day later on every partition, so every window of the stream closes (and no
            // partition needs to go idle, which would depend on timing).
            await send(
              closingStores.map((store, index) => ({
                id: `end-${index}`,
                copies: 1,
                sale: { store, amount: 0, at: base + 24 * 60 * minute },
              })),
            );
            await producer.close();
            const second = make();
            await second.start();
            await second.caughtUp({ timeoutMs: 10_000 });
            const expected = batchTumbling(
              sales.map(({ sale }) => sale),
              minute,
            );
            await expect
              .poll(() => finals(outputs).size, { timeout: 5_000, interval: 10 })
              .toBe(expected.size);
            await second.close();
            expect(finals(outputs)).toEqual(
              new Map([...expected].map(([id, { sum: total }]) => [id, total])),
            );
            expect(second.stats().late.dropped).toBe(0);
          } finally {
            await transport.close();
          }
        },
      ),
      { numRuns: Number(process.env.WINDOWING_PIPELINE_RUNS ?? 25) },
    );
  }, 240_000);
});
