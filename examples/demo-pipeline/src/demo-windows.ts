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
import { type WindowsReport, windowsReport } from './windows-report';

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

const partitions = 3;
export type CheckoutsTopic = ReturnType<typeof checkoutsTopic>;
export function checkoutsTopic(runId: string) {
  return defineTopic({ name: `demo.checkouts.${runId}`, events: [CheckoutCompleted], partitions });
}

export interface WindowsDemoOptions {
  /** Names the topic `demo.checkouts.<runId>`. */
  readonly runId: string;
  readonly checkouts?: number;
  readonly customers?: number;
  /**
   * How long every partition must go without a delivery (and be read to its end) before the
   * watermark follows the clock. Default 300 ms, for the embedded backbone. It must be longer
   * than any pause between deliveries while the stream runs, or the rest of the stream (its
   * event times are minutes old) comes late.
   */
  readonly quietAfterMs?: number;
  readonly log?: (line: string) => void;
}

const window = { minuteMs: 60_000, slidingMs: 600_000 } as const;
const timing = {
  outOfOrdernessMs: 10_000,
  graceMs: 30_000,
  // A partition that delivers nothing for ten seconds stops holding the others back. Not less:
  // a partition counts as idle when nothing was delivered from it, even when its records wait
  // behind its own checkpoint, and through a busy broker that can take a second; the others'
  // watermark would then run ahead and make its waiting checkouts late.
  idleTimeoutMs: 10_000,
  tickMs: 20,
} as const;
const waitLimitMs = 60_000;
/** Checkouts per send while the stream runs: about twenty seconds of event time. */
const chunkSize = 10;
const leadMs = 60_000;

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
    // Once every partition is idle and read to its end, the watermark follows the wall clock: the
    // last windows close when the stream stops instead of waiting for checkouts that never come.
    quiet: { afterMs: options.quietAfterMs ?? 300 },
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
    // Both read from the first checkout on, so neither sits idle at the first late ones.
    await waitFor('every partition assigned', () =>
      windowings.every((windowing) => windowing.stats().partitions === partitions),
    );
    const duplicatesSent = await produceCheckouts(transport, topic, plan, windowings);
    log(
      `windows: topic ${topic.name}, ${checkouts.length} checkouts of ${customers} customers, ${duplicatesSent} duplicates, ${late.length} late`,
    );
    const records = checkouts.length + duplicatesSent;
    await waitFor('every checkout taken, every window closed and its result delivered', () => {
      if (!windowings.every((windowing) => taken(windowing) === records)) return false;
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
    // Closed minutes are kept an hour for late checkouts, so they can be asked for now.
    const interactiveQuery = askRevenue(revenue, checkouts, checkouts.at(-1)?.customerId ?? '');
    log(
      `interactive query: query("${interactiveQuery.customerId}") = ${interactiveQuery.minutes} minutes, revenue ${interactiveQuery.revenue} (batch: ${interactiveQuery.expectedMinutes} minutes, ${interactiveQuery.expectedRevenue})`,
    );
    const stats = (windowing: Windowing<number>) => {
      // Copies within a fetch are skipped by the consumer, the others by the window state (by
      // event id, checkpointed with it).
      const { late: byOutcome, duplicates, consumer } = windowing.stats();
      return { late: byOutcome, duplicates: duplicates + consumer.duplicates };
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

/** The interactive query: a customer's revenue minutes, and the batch answer. */
function askRevenue(
  revenue: Windowing<number>,
  checkouts: readonly Checkout[],
  customerId: string,
): WindowsReport['interactiveQuery'] {
  const windows = revenue.query(customerId);
  const own = checkouts.filter((checkout) => checkout.customerId === customerId);
  return {
    customerId,
    minutes: windows.length,
    revenue: windows.reduce((total, { value }) => total + value, 0),
    expectedMinutes: new Set(own.map(({ at }) => Math.floor(at / window.minuteMs))).size,
    expectedRevenue: own.reduce((total, { amount }) => total + amount, 0),
  };
}

/**
 * Sends the plan's checkouts in chunks of about twenty seconds of event time and returns how many
 * duplicates it sent. It keeps at most a minute of event time ahead of the windows and never
 * waits with everything read: such a pause would pass for the stream's end under the
 * quiet-stream rule, and the clock would close the windows under the rest of it. Each stretch's
 * late checkouts go with the first chunk after every windowing's watermark has closed their
 * windows, so they are late when they come.
 */
async function produceCheckouts(
  transport: KafkaTransport,
  topic: CheckoutsTopic,
  plan: CheckoutPlan,
  windowings: readonly Windowing<number>[],
): Promise<number> {
  const producer = createProducer({ transport });
  const event = (data: Checkout) => ({ type: 'checkout.completed' as const, data });
  const waiting: { late: readonly Checkout[]; closesAt: number }[] = [];
  const due = () => {
    const next = waiting[0];
    return (
      next !== undefined && windowings.every((windowing) => windowing.stats().watermark >= next.closesAt)
    );
  };
  const takeDue = () => {
    const late: Checkout[] = [];
    while (due()) late.push(...(waiting.shift()?.late ?? []));
    return late;
  };
  const streamStart = plan.stretches[0]?.onTime[0]?.at ?? 0;
  let index = 0;
  let duplicates = 0;
  try {
    for (const stretch of plan.stretches) {
      for (let from = 0; from < stretch.onTime.length; from += chunkSize) {
        const chunk = stretch.onTime.slice(from, from + chunkSize);
        // While it waits here the windows still have the last minute of checkouts to read.
        const keepUpTo = (chunk[0] as Checkout).at - leadMs;
        if (keepUpTo > streamStart) {
          await waitFor('the windows to keep up', () =>
            windowings.every((windowing) => windowing.stats().watermark >= keepUpTo),
          );
        }
        const late = takeDue();
        const results = await producer.sendBatch(topic, [...late, ...chunk].map(event));
        for (const [offset, result] of results.slice(late.length).entries()) {
          if (!plan.duplicated.has(index + offset)) continue;
          // A retry after a lost acknowledgement: the same event, with the same id.
          await producer.send(topic, { ...event(chunk[offset] as Checkout), id: result.id });
          duplicates++;
        }
        index += chunk.length;
      }
      if (stretch.late.length === 0) continue;
      waiting.push({
        late: stretch.late,
        // The later of each one's windows to close is its minute (its sliding window ends at t + 1).
        closesAt: Math.max(
          ...stretch.late.map(
            ({ at }) => (Math.floor(at / window.minuteMs) + 1) * window.minuteMs + timing.graceMs,
          ),
        ),
      });
    }
    // Late ones still waiting when the stream has ended: late whenever they come.
    while (waiting.length > 0) {
      await waitFor('the late checkouts’ windows closed', due);
      await producer.sendBatch(topic, takeDue().map(event));
    }
  } finally {
    await producer.close();
  }
  return duplicates;
}

/** Events the windowing's consumer is done with: handed to the windows, skipped as copies, or dead-lettered. */
function taken(windowing: Windowing<number>): number {
  const { handled, duplicates, deadLettered } = windowing.stats().consumer;
  return handled + duplicates + deadLettered;
}

/** Polls a condition until it holds; fails after a minute, naming what it waited for. */
async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + waitLimitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`demo windows: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
