import { defineEvent, defineTopic, ensureTopics, jsonSchema, type KafkaTransport } from '@inlet/core';
import { createProducer } from '@inlet/producer';
import {
  count,
  createWindowing,
  type LateEvent,
  sliding,
  sum,
  tumbling,
  type Windowing,
  type WindowOutput,
} from '@inlet/windowing';
import { type CheckoutPlan, planCheckouts } from './checkout-plan';
import type { Checkout } from './windows-batch';
import { clockTime, type WindowsReport, windowsReport } from './windows-report';

// The demo's windows: checkouts over twenty minutes of event time, aggregated by when they
// happened. Revenue per minute (tumbling, late checkouts correct their minute) and checkouts per
// customer in the last ten minutes (sliding, late checkouts to a side output). At the end the
// stream goes quiet, the watermark follows the clock and every window closes; the results must
// equal a batch computation over the same checkouts.

export const CheckoutCompleted = defineEvent({
  type: 'checkout.completed',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      checkoutId: { type: 'string', minLength: 1 },
      customerId: { type: 'string', minLength: 1 },
      amount: { type: 'integer', minimum: 1 },
      at: { type: 'integer' },
    },
    required: ['checkoutId', 'customerId', 'amount', 'at'],
    additionalProperties: false,
  }),
  // Windows are kept per input partition, so a window key must be what the topic is partitioned
  // by: the checkouts are keyed (and so partitioned) by customer, and the windows are per customer.
  key: (checkout) => checkout.customerId,
  eventTime: (checkout) => checkout.at,
});

export type CheckoutsTopic = ReturnType<typeof checkoutsTopic>;
export function checkoutsTopic(runId: string) {
  return defineTopic({ name: `demo.checkouts.${runId}`, events: [CheckoutCompleted], partitions: 3 });
}

export interface WindowsDemoOptions {
  /** Names the topic `demo.checkouts.<runId>`. */
  readonly runId: string;
  readonly checkouts?: number;
  readonly customers?: number;
  readonly log?: (line: string) => void;
}

const window = { minuteMs: 60_000, slidingMs: 600_000 } as const;
const timing = {
  outOfOrdernessMs: 10_000,
  graceMs: 30_000,
  // A partition without events for a second stops holding the others back.
  idleTimeoutMs: 1_000,
  // Once every partition is idle and read to its end, the watermark follows the wall clock: the
  // last windows close when the stream stops instead of waiting for checkouts that never come.
  quiet: { afterMs: 300 },
  tickMs: 20,
} as const;
const waitLimitMs = 60_000;

export async function runWindowsDemo(
  transport: KafkaTransport,
  options: WindowsDemoOptions,
): Promise<WindowsReport> {
  const log = options.log ?? (() => undefined);
  const customers = options.customers ?? 40;
  const topic = checkoutsTopic(options.runId);
  await ensureTopics(transport, [topic]);
  const plan = planCheckouts(Date.now(), {
    customers,
    ...(options.checkouts === undefined ? {} : { total: options.checkouts }),
  });
  const checkouts = plan.stretches.flatMap(({ onTime, late }) => [...onTime, ...late]);
  const late = plan.stretches.flatMap((stretch) => stretch.late);

  const minuteResults: WindowOutput<number>[] = [];
  const recentResults: WindowOutput<number>[] = [];
  const sideOutput: LateEvent<{ data: Checkout }>[] = [];
  const common = {
    transport,
    topics: [topic],
    autoOffsetReset: 'earliest',
    emit: 'final',
    ...timing,
  } as const;
  const revenue = createWindowing({
    ...common,
    groupId: `${topic.name}.revenue-per-minute`,
    name: 'revenue-per-minute',
    window: tumbling({ sizeMs: window.minuteMs }),
    aggregation: sum((checkout: { data: Checkout }) => checkout.data.amount),
    late: { policy: 'update', retainMs: 3_600_000 },
    output: { onResults: (outputs) => void minuteResults.push(...outputs) },
  });
  const recent = createWindowing({
    ...common,
    groupId: `${topic.name}.checkouts-last-ten-minutes`,
    name: 'checkouts-last-ten-minutes',
    window: sliding({ sizeMs: window.slidingMs }),
    aggregation: count(),
    late: { policy: 'side-output', onLate: (events) => void sideOutput.push(...events) },
    output: { onResults: (outputs) => void recentResults.push(...outputs) },
  });
  const windowings = [revenue, recent];
  try {
    await Promise.all(windowings.map((windowing) => windowing.start()));
    const duplicatesSent = await produceCheckouts(transport, topic, plan, windowings);
    log(
      `windows: topic ${topic.name}, ${checkouts.length} checkouts of ${customers} customers, ${duplicatesSent} duplicates, ${late.length} late`,
    );

    // Asked before the stream goes quiet: then the clock closes the windows and purges the
    // values of the stream's last ten minutes (it ended ten minutes ago).
    const records = checkouts.length + duplicatesSent;
    await waitFor('every checkout taken', () =>
      windowings.every((windowing) => taken(windowing) === records),
    );
    const interactiveQuery = askRecent(recent, checkouts, plan.stretches.at(-1)?.onTime.at(-1) as Checkout);
    log(
      `interactive query: recent("${interactiveQuery.customerId}") = ${interactiveQuery.checkouts} checkouts in the ten minutes to ${clockTime(interactiveQuery.to, true)} (batch: ${interactiveQuery.expected})`,
    );

    await waitFor('every window closed and its result delivered', () => {
      const settled = (windowing: Windowing<number>, delivered: readonly WindowOutput<number>[]) => {
        const stats = windowing.stats();
        return stats.openWindows === 0 && stats.results === delivered.length;
      };
      return (
        settled(revenue, minuteResults) &&
        settled(recent, recentResults) &&
        sideOutput.length === recent.stats().late['side-output']
      );
    });
    const stats = (windowing: Windowing<number>) => {
      const { late: byOutcome, consumer } = windowing.stats();
      return { late: byOutcome, duplicates: consumer.duplicates };
    };
    return windowsReport({
      topic: topic.name,
      customers,
      checkouts,
      late,
      duplicatesSent,
      minuteResults,
      recentResults,
      sideOutput: sideOutput.map((event) => ({
        checkoutId: event.event.data.checkoutId,
        watermark: event.watermark,
      })),
      interactiveQuery,
      stats: { revenuePerMinute: stats(revenue), checkoutsLastTenMinutes: stats(recent) },
      window: { ...window, graceMs: timing.graceMs },
    });
  } finally {
    await Promise.all(windowings.map((windowing) => windowing.close()));
  }
}

/** The interactive query: a customer's checkouts in the ten minutes to `last`, and the batch answer. */
function askRecent(
  recent: Windowing<number>,
  checkouts: readonly Checkout[],
  last: Checkout,
): WindowsReport['interactiveQuery'] {
  const { customerId, at } = last;
  return {
    customerId,
    to: new Date(at).toISOString(),
    checkouts: recent.recent(customerId, at)?.value ?? 0,
    expected: checkouts.filter(
      (checkout) =>
        checkout.customerId === customerId && checkout.at > at - window.slidingMs && checkout.at <= at,
    ).length,
  };
}

/** Events the windowing's consumer is done with: handled, skipped as duplicates, or dead-lettered. */
function taken(windowing: Windowing<number>): number {
  const { handled, duplicates, deadLettered } = windowing.stats().consumer;
  return handled + duplicates + deadLettered;
}

/**
 * Sends the plan's stretches and returns how many duplicates it sent; before each stretch's late checkouts, waits until every windowing's
 * watermark has closed the windows they belong to, so they are late when they come.
 */
async function produceCheckouts(
  transport: KafkaTransport,
  topic: CheckoutsTopic,
  plan: CheckoutPlan,
  windowings: readonly Windowing<number>[],
): Promise<number> {
  const producer = createProducer({ transport });
  const event = (data: Checkout) => ({ type: 'checkout.completed' as const, data });
  let index = 0;
  let duplicates = 0;
  try {
    for (const stretch of plan.stretches) {
      const results = await producer.sendBatch(topic, stretch.onTime.map(event));
      for (const [offset, result] of results.entries()) {
        if (!plan.duplicated.has(index + offset)) continue;
        // A retry after a lost acknowledgement: the same event, with the same id.
        await producer.send(topic, { ...event(stretch.onTime[offset] as Checkout), id: result.id });
        duplicates++;
      }
      index += stretch.onTime.length;
      if (stretch.late.length === 0) continue;
      // The later of each one's windows to close is its minute (its sliding window ends at t + 1).
      const closesAt = Math.max(
        ...stretch.late.map(
          ({ at }) => (Math.floor(at / window.minuteMs) + 1) * window.minuteMs + timing.graceMs,
        ),
      );
      await waitFor('the late checkouts’ windows closed', () =>
        windowings.every((windowing) => windowing.stats().watermark >= closesAt),
      );
      await producer.sendBatch(topic, stretch.late.map(event));
    }
  } finally {
    await producer.close();
  }
  return duplicates;
}

/** Polls a condition until it holds; fails after a minute, naming what it waited for. */
async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + waitLimitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`demo windows: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
