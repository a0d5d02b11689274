import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sum } from './aggregations';
import { runBatchOracle, type ScheduleStep } from './batch-oracle.test-support';
import { hopping, session, sliding, tumbling, type WindowKind } from './window-kinds';
import type { EmitMode } from './window-operator';
import { createWindowing, type WindowingLatePolicy } from './windowing';
import {
  closingSales,
  minute,
  produceSales,
  readResults,
  recentMinute,
  type SaleRecord,
  salesTopic,
} from './windowing.test-support';

// Every window kind in both emit modes, and every late policy, through the real broker: the
// results topic, folded as a downstream upsert reader does, equals the batch computation of the
// README's semantics (batch-oracle.test-support.ts) over the same sales.

let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({
    brokers: testEnvironment().kafkaBrokers,
    clientId: 'windowing-kinds-it',
  });
});
afterAll(() => transport.close());

const outOfOrdernessMs = 20_000;
const base = recentMinute();

/** Sales a few seconds apart over eight stores, some behind by less than the allowed disorder. */
function generatedSales(count: number): SaleRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    store: `s${(index * 5) % 8}`,
    amount: (index % 11) + 1,
    at: base + index * 1_500 - (index % 6 === 0 ? (index * 7_919) % outOfOrdernessMs : 0),
  }));
}

/**
 * Per `key@start`, the window sums the batch computation gives: of closed windows (`final`), or
 * of every window (`update`, whose early results are the windows as they stand).
 */
function expectedSums(window: WindowKind, sales: readonly SaleRecord[], emit: EmitMode): Map<string, number> {
  const schedule: ScheduleStep<SaleRecord>[] = [
    {
      kind: 'batch',
      partition: 'all',
      events: sales.map((sale) => ({ key: sale.store, time: sale.at, event: sale })),
      advanceClockMs: 0,
    },
  ];
  const oracle = runBatchOracle({ window, outOfOrdernessMs, partitions: ['all'] }, schedule);
  const sums = new Map<string, number>();
  for (const expected of oracle.windowsAfter(0).values()) {
    if (emit === 'final' && !oracle.isClosedAfter(0, expected.partition, expected)) continue;
    const total = expected.events.reduce((sum, { input }) => sum + input.event.amount, 0);
    sums.set(`${expected.key}@${expected.start}`, total);
  }
  return sums;
}

async function runWindowing(options: {
  readonly window: WindowKind;
  readonly emit?: EmitMode;
  readonly late?: WindowingLatePolicy<{ data: SaleRecord }>;
  readonly parts: readonly (readonly SaleRecord[])[];
}) {
  const topic = salesTopic(uniqueName('kinds-sales'));
  const output = uniqueName('kinds-results');
  await transport.admin().createTopics([{ topic: topic.name, partitions: 3 }]);
  const windowing = createWindowing({
    transport,
    groupId: uniqueName('kinds-group'),
    topics: [topic],
    window: options.window,
    aggregation: sum((sale: { data: { amount: number } }) => sale.data.amount),
    outOfOrdernessMs,
    ...(options.emit === undefined ? {} : { emit: options.emit }),
    ...(options.late === undefined ? {} : { late: options.late }),
    output: { topic: output },
  });
  await windowing.start();
  try {
    // Each part once the one before it is done: what comes later is judged by what came before.
    for (const part of options.parts) {
      await produceSales(transport, topic, part);
      await windowing.caughtUp({ timeoutMs: 60_000 });
    }
    const { results: emitted, retractions } = windowing.stats();
    const results = await readResults(transport, output, emitted + retractions);
    return { results, stats: windowing.stats() };
  } finally {
    await windowing.close();
  }
}

describe('window kinds and emit modes on Kafka', () => {
  it.each([
    ['hopping (2 min every 30 s)', 'final', hopping({ sizeMs: 2 * minute, advanceMs: 30_000 })],
    ['hopping (2 min every 30 s)', 'update', hopping({ sizeMs: 2 * minute, advanceMs: 30_000 })],
    ['sliding (1 min)', 'final', sliding({ sizeMs: minute })],
    ['sliding (1 min)', 'update', sliding({ sizeMs: minute })],
    ['session (gap 10 s)', 'final', session({ gapMs: 10_000 })],
    ['session (gap 10 s)', 'update', session({ gapMs: 10_000 })],
    ['tumbling (1 min)', 'update', tumbling({ sizeMs: minute })],
  ] as const)(
    '%s, emit %s: the result topic equals the batch computation',
    async (_, emit, window) => {
      const sales = generatedSales(600);
      const all = [...sales, ...closingSales(sales)];
      const { results, stats } = await runWindowing({ window, emit, parts: [all] });
      expect(stats.late.dropped).toBe(0);
      expect(results).toEqual(expectedSums(window, all, emit));
    },
    120_000,
  );
});

describe('late policies on Kafka', () => {
  // Sales for windows the first part closed: late under every policy, whatever the fetch sizes.
  const sales = generatedSales(400);
  const first = [...sales, ...closingSales(sales)];
  const late = sales.filter((_, index) => index % 10 === 3).map((sale) => ({ ...sale, amount: 100 }));
  const window = tumbling({ sizeMs: minute });

  it('drop: counted, and the results stay those of the first part', async () => {
    const { results, stats } = await runWindowing({ window, late: { policy: 'drop' }, parts: [first, late] });
    expect(stats.late.dropped).toBe(late.length);
    expect(results).toEqual(expectedSums(window, first, 'final'));
  }, 120_000);

  it('side-output: each late sale reaches the callback with its reason, the results stay', async () => {
    const seen: { store: string; at: number; reason: string }[] = [];
    const { results, stats } = await runWindowing({
      window,
      late: {
        policy: 'side-output',
        onLate: (events) => {
          for (const each of events)
            seen.push({ store: each.event.data.store, at: each.event.data.at, reason: each.reason });
        },
      },
      parts: [first, late],
    });
    expect(stats.late['side-output']).toBe(late.length);
    const sorted = (list: readonly { store: string; at: number }[]) =>
      list.map(({ store, at }) => `${store}@${at}`).sort();
    expect(sorted(seen)).toEqual(sorted(late));
    // The reason names the window it was for.
    for (const { at, reason } of seen) {
      const start = Math.floor(at / minute) * minute;
      expect(reason).toContain(`window [${start}, ${start + minute}) closed`);
    }
    expect(results).toEqual(expectedSums(window, first, 'final'));
  }, 120_000);

  it('update: the closed windows are corrected, as if the late sales had come in time', async () => {
    const { results, stats } = await runWindowing({
      window,
      late: { policy: 'update', retainMs: 24 * 60 * minute },
      parts: [first, late],
    });
    expect(stats.late.updated).toBe(late.length);
    expect(results).toEqual(expectedSums(window, [...first, ...late], 'final'));
  }, 120_000);
});
