import type { LateOutcome, WindowOutput } from '@inlet/windowing';
import {
  batchRevenuePerMinute,
  batchSlidingCounts,
  type Checkout,
  latestValues,
  rollUpByStart,
  sameEntries,
  windowsCountingLate,
} from './windows-batch';

export interface WindowsReport {
  readonly topic: string;
  /** Distinct checkouts sent (late ones included), of this many customers. */
  readonly checkouts: number;
  readonly customers: number;
  /** Checkouts sent again with the same event id (a producer retry). */
  readonly duplicatesSent: number;
  /** Checkouts sent 3–5 minutes (or a little more) of event time behind the stream: later than the windows allow. */
  readonly lateSent: number;
  /** The stream's event times. */
  readonly from: string;
  readonly to: string;
  /** Tumbling windows of a minute per customer, summed over customers. */
  readonly revenuePerMinute: readonly { readonly minute: string; readonly revenue: number }[];
  readonly revenueTotal: number;
  /** Minute results emitted again because a late checkout changed them. */
  readonly corrections: number;
  /** Sliding windows of ten minutes: one per customer and checkout time. */
  readonly checkoutsLastTenMinutes: {
    readonly windows: number;
    /** Windows a late checkout still counts in: open when it came, or made after it. */
    readonly countingLate: number;
    readonly busiest: { readonly customerId: string; readonly checkouts: number; readonly to: string };
  };
  /** Late checkouts by what their windows' policy did, both windowings together. */
  readonly lateByPolicy: {
    readonly updated: number;
    readonly sideOutput: number;
    readonly dropped: number;
    readonly expired: number;
  };
  /** The side output named exactly the late checkouts sent. */
  readonly sideOutputIsTheLateCheckouts: boolean;
  /** Duplicates each windowing's consumer skipped before they reached a window. */
  readonly duplicatesAbsorbed: {
    readonly revenuePerMinute: number;
    readonly checkoutsLastTenMinutes: number;
  };
  /** `query(customer)` on the revenue windows once all closed: its minutes, and the batch answer. */
  readonly interactiveQuery: {
    readonly customerId: string;
    readonly minutes: number;
    readonly revenue: number;
    readonly expectedMinutes: number;
    readonly expectedRevenue: number;
  };
  readonly revenueEqualsBatch: boolean;
  readonly checkoutsEqualBatch: boolean;
  /** Both windowings' results equal the batch computation over the same checkouts. */
  readonly equalsBatch: boolean;
  readonly ok: boolean;
}

/** What the run gathered, for the report. */
export interface WindowsRun {
  readonly topic: string;
  readonly customers: number;
  /** Every distinct checkout sent, and which of them were sent late. */
  readonly checkouts: readonly Checkout[];
  readonly late: readonly Checkout[];
  readonly duplicatesSent: number;
  readonly minuteResults: readonly WindowOutput<number>[];
  readonly recentResults: readonly WindowOutput<number>[];
  /** The side output: each late checkout and the watermark it was judged by. */
  readonly sideOutput: readonly { readonly checkoutId: string; readonly watermark: number }[];
  readonly interactiveQuery: WindowsReport['interactiveQuery'];
  readonly stats: {
    readonly [windowing in 'revenuePerMinute' | 'checkoutsLastTenMinutes']: {
      readonly late: Readonly<Record<LateOutcome, number>>;
      readonly duplicates: number;
    };
  };
  readonly window: { readonly minuteMs: number; readonly slidingMs: number; readonly graceMs: number };
}

export function windowsReport(run: WindowsRun): WindowsReport {
  const { checkouts, stats, window } = run;
  const perMinute = rollUpByStart(latestValues(run.minuteResults));
  const perWindow = latestValues(run.recentResults);
  const lateWatermarks = new Map(run.sideOutput.map(({ checkoutId, watermark }) => [checkoutId, watermark]));
  const sliding = { sizeMs: window.slidingMs, graceMs: window.graceMs, late: lateWatermarks };
  const revenueEqualsBatch = sameEntries(perMinute, batchRevenuePerMinute(checkouts, window.minuteMs));
  const checkoutsEqualBatch = sameEntries(perWindow, batchSlidingCounts(checkouts, sliding));
  const revenuePerMinute = [...perMinute]
    .sort(([left], [right]) => left - right)
    .map(([start, revenue]) => ({ minute: new Date(start).toISOString(), revenue }));
  const both = [stats.revenuePerMinute, stats.checkoutsLastTenMinutes];
  const lateByPolicy = {
    updated: both.reduce((total, { late }) => total + late.updated, 0),
    sideOutput: both.reduce((total, { late }) => total + late['side-output'], 0),
    dropped: both.reduce((total, { late }) => total + late.dropped, 0),
    expired: both.reduce((total, { late }) => total + late.expired, 0),
  };
  const sideOutputIsTheLateCheckouts =
    run.sideOutput.length === run.late.length &&
    lateWatermarks.size === run.late.length &&
    run.late.every(({ checkoutId }) => lateWatermarks.has(checkoutId));
  const duplicatesAbsorbed = {
    revenuePerMinute: stats.revenuePerMinute.duplicates,
    checkoutsLastTenMinutes: stats.checkoutsLastTenMinutes.duplicates,
  };
  const times = checkouts.map(({ at }) => at);
  const equalsBatch = revenueEqualsBatch && checkoutsEqualBatch;
  const lateSent = run.late.length;
  return {
    topic: run.topic,
    checkouts: checkouts.length,
    customers: run.customers,
    duplicatesSent: run.duplicatesSent,
    lateSent,
    from: new Date(Math.min(...times)).toISOString(),
    to: new Date(Math.max(...times)).toISOString(),
    revenuePerMinute,
    revenueTotal: revenuePerMinute.reduce((total, { revenue }) => total + revenue, 0),
    corrections: run.minuteResults.filter((output) => output.type === 'result' && output.correction).length,
    checkoutsLastTenMinutes: {
      windows: perWindow.size,
      countingLate: windowsCountingLate(checkouts, sliding),
      busiest: busiestWindow(perWindow),
    },
    lateByPolicy,
    sideOutputIsTheLateCheckouts,
    duplicatesAbsorbed,
    interactiveQuery: run.interactiveQuery,
    revenueEqualsBatch,
    checkoutsEqualBatch,
    equalsBatch,
    ok:
      equalsBatch &&
      sideOutputIsTheLateCheckouts &&
      lateByPolicy.updated === lateSent &&
      lateByPolicy.sideOutput === lateSent &&
      lateByPolicy.dropped === 0 &&
      lateByPolicy.expired === 0 &&
      duplicatesAbsorbed.revenuePerMinute === run.duplicatesSent &&
      duplicatesAbsorbed.checkoutsLastTenMinutes === run.duplicatesSent &&
      run.interactiveQuery.minutes === run.interactiveQuery.expectedMinutes &&
      run.interactiveQuery.revenue === run.interactiveQuery.expectedRevenue,
  };
}

/** The sliding window with the most checkouts (the earliest of equal ones). */
function busiestWindow(
  perWindow: ReadonlyMap<string, number>,
): WindowsReport['checkoutsLastTenMinutes']['busiest'] {
  let busiest = { customerId: '', checkouts: 0, to: '' };
  for (const [id, checkouts] of perWindow) {
    const [customerId = '', , end] = id.split('@');
    const to = new Date(Number(end) - 1).toISOString();
    if (checkouts > busiest.checkouts || (checkouts === busiest.checkouts && to < busiest.to))
      busiest = { customerId, checkouts, to };
  }
  return busiest;
}

/** `HH:MM` (or `HH:MM:SS`) of an ISO time, in UTC. */
export function clockTime(iso: string, seconds = false): string {
  return iso.slice(11, seconds ? 19 : 16);
}

/** The report's lines for people, in the demo's dotted style. */
export function windowsLines(report: WindowsReport): string[] {
  const dotted = (label: string, value: string) =>
    `${label} ${'.'.repeat(Math.max(3, 39 - label.length))} ${value}`;
  const minute = (entry: { minute: string; revenue: number } | undefined) =>
    entry === undefined ? '-' : `${clockTime(entry.minute)} revenue ${entry.revenue}`;
  const { lateByPolicy: late, checkoutsLastTenMinutes: sliding, interactiveQuery: query } = report;
  return [
    dotted(
      'checkouts (second topic)',
      `${report.checkouts} of ${report.customers} customers, ${clockTime(report.from)}–${clockTime(report.to)} event time`,
    ),
    dotted('revenue per minute, first', minute(report.revenuePerMinute[0])),
    dotted('revenue per minute, last', minute(report.revenuePerMinute.at(-1))),
    dotted(
      'revenue, all minutes',
      `${report.revenueTotal} in ${report.revenuePerMinute.length} minutes (${report.corrections} corrections by late checkouts)`,
    ),
    dotted(
      'checkouts per customer, last 10 min',
      `${sliding.windows} windows, ${sliding.countingLate} counting a late checkout; busiest ${sliding.busiest.customerId}: ${sliding.busiest.checkouts} to ${clockTime(sliding.busiest.to, true)}`,
    ),
    dotted(
      'late checkouts by policy',
      `${late.updated} updated, ${late.sideOutput} side output, ${late.dropped} dropped, ${late.expired} expired (${report.lateSent} sent late)`,
    ),
    dotted(
      'duplicates absorbed by the windows',
      `${report.duplicatesAbsorbed.revenuePerMinute} and ${report.duplicatesAbsorbed.checkoutsLastTenMinutes} of ${report.duplicatesSent}`,
    ),
    dotted(
      'interactive query',
      `query("${query.customerId}") = revenue ${query.revenue} in ${query.minutes} minutes (batch: ${query.expectedRevenue} in ${query.expectedMinutes})`,
    ),
    report.equalsBatch
      ? 'windows: equal to a batch computation over the same events'
      : `windows: NOT equal to a batch computation over the same events (revenue per minute ${report.revenueEqualsBatch ? 'equal' : 'differs'}, checkouts per customer ${report.checkoutsEqualBatch ? 'equal' : 'differ'})`,
  ];
}
