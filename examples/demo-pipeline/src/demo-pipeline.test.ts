import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';
import { planCheckouts } from './checkout-plan';
import { type DemoProgress, type DemoReport, runDemo } from './demo-pipeline';

it('runs the demo on the embedded backbone into DuckDB: duplicates absorbed, late updates skipped, broken records dead-lettered, the table reconciled exactly', async () => {
  const report = await runDemo({ orders: 20, revisionsPerOrder: 10 });
  expect(report).toMatchObject({
    backbone: 'embedded',
    sink: 'duckdb',
    ok: true,
    appliedOutOfOrder: 0,
    sinkRejected: 0,
    ordersCorrect: 20,
    deadLettered: 2,
  });
  expect(report.duplicatesAbsorbed).toBe(report.duplicatesSent);
  expect(report.staleSkipped).toBe(report.lateUpdatesSent);
  expect(report.duplicatesSent).toBeGreaterThan(0);
  expect(report.lateUpdatesSent).toBeGreaterThan(0);
  expect(report.windows.ok).toBe(true);
  // Updates are stamped a minute back: each hop's freshness is that minute and a little more.
  const { produced, handled, visible } = report.freshness;
  for (const hop of [produced, handled, visible]) {
    expect(hop.p50Ms).toBeGreaterThanOrEqual(59_000);
    expect(hop.p99Ms).toBeLessThan(120_000);
  }
  expect(report.reconciliation).toMatchObject({
    rowsInSink: 20,
    rowsExpected: 20,
    missing: 0,
    extra: 0,
    different: 0,
    checksumEqual: true,
    exact: true,
    unreadable: 2,
    recordsRead: report.produced + report.duplicatesSent + report.lateUpdatesSent + report.brokenRecordsSent,
  });
});

it('shows progress while it runs and reports the alerts that fired: dead letters and stale freshness, not lag', async () => {
  const seen: DemoProgress[] = [];
  const report = await runDemo({
    orders: 20,
    revisionsPerOrder: 10,
    onProgress: (progress) => seen.push(progress),
    progressIntervalMs: 5,
  });
  expect(report.ok).toBe(true);
  expect(seen.length).toBeGreaterThan(1);
  for (const [index, progress] of seen.entries()) {
    const before = seen[index - 1];
    if (before === undefined) continue;
    expect(progress.produced).toBeGreaterThanOrEqual(before.produced);
    expect(progress.handled).toBeGreaterThanOrEqual(before.handled);
  }
  expect(seen.at(-1)).toEqual({
    phase: 'catching up',
    produced: report.produced + report.duplicatesSent + report.lateUpdatesSent,
    handled: report.handled,
    deadLettered: 2,
  });
  const fired = report.alerts.filter((change) => change.state === 'firing').map((change) => change.rule);
  expect(fired.sort()).toEqual(['dead letters', 'freshness over 30 s']);
  expect(report.alerts.every((change) => change.flow === 'order table')).toBe(true);
});

it('serves the status page on the order table flow, and keeps it up with the last figures until told to stop', async () => {
  let url: string | undefined;
  let fromPage:
    | { flows: { name: string }[]; alerts: { rule: string }[]; reconciliation?: unknown }
    | undefined;
  let page = '';
  const report: DemoReport = await runDemo({
    orders: 5,
    revisionsPerOrder: 4,
    statusPage: {
      port: 0,
      onListening: (listening) => {
        url = listening;
      },
      keepUntil: async () => {
        fromPage = (await (await fetch(`${url}api/status`)).json()) as typeof fromPage;
        page = await (await fetch(url as string)).text();
      },
    },
  });
  expect(report.ok).toBe(true);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  expect(page).toContain('<html');
  expect(fromPage?.flows.map((flow) => flow.name)).toEqual(['order table']);
  expect(fromPage?.alerts.map((alert) => alert.rule).sort()).toEqual(['dead letters', 'freshness over 30 s']);
  expect(fromPage?.reconciliation).toMatchObject({ matched: true, differingKeys: 0 });
  // Closed once keepUntil resolved.
  await expect(fetch(url as string)).rejects.toThrow();
});

it('aggregates checkouts in windows equal to a batch computation, late checkouts counted by policy', async () => {
  const { windows } = await runDemo({ orders: 5, revisionsPerOrder: 4 });
  expect(windows).toMatchObject({
    ok: true,
    equalsBatch: true,
    revenueEqualsBatch: true,
    checkoutsEqualBatch: true,
    checkouts: 600,
    customers: 40,
    lateSent: 8,
    lateByPolicy: { updated: 8, sideOutput: 8, dropped: 0, expired: 0 },
    sideOutputIsTheLateCheckouts: true,
  });
  expect(windows.topic).toMatch(/^demo\.checkouts\./);
  // The consumers' dedup took every duplicate out before the windows, so nothing is inflated.
  expect(windows.duplicatesSent).toBeGreaterThan(0);
  expect(windows.duplicatesAbsorbed).toEqual({
    revenuePerMinute: windows.duplicatesSent,
    checkoutsLastTenMinutes: windows.duplicatesSent,
  });
  // The plan's amounts do not depend on the clock: the revenue is every distinct checkout's amount.
  const sent = planCheckouts(Date.now()).stretches.flatMap(({ onTime, late }) => [...onTime, ...late]);
  expect(windows.revenueTotal).toBe(sent.reduce((total, { amount }) => total + amount, 0));
  expect(windows.revenuePerMinute.reduce((total, { revenue }) => total + revenue, 0)).toBe(
    windows.revenueTotal,
  );
  expect(windows.revenuePerMinute.length).toBeGreaterThanOrEqual(20);
  expect(windows.revenuePerMinute.length).toBeLessThanOrEqual(22);
  expect(windows.corrections).toBeGreaterThan(0);
  expect(windows.corrections).toBeLessThanOrEqual(windows.lateSent);
  // One sliding window per on-time checkout (their times are distinct); a late one makes none.
  expect(windows.checkoutsLastTenMinutes.windows).toBe(windows.checkouts - windows.lateSent);
  expect(windows.checkoutsLastTenMinutes.countingLate).toBeGreaterThan(0);
  const query = windows.interactiveQuery;
  expect([query.revenue, query.minutes]).toEqual([query.expectedRevenue, query.expectedMinutes]);
  expect(query.minutes).toBeGreaterThan(0);
});

it('keeps the table in a DuckDB file when given one', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'inlet-demo-'));
  try {
    const duckdbFile = join(directory, 'demo.duckdb');
    const report = await runDemo({ orders: 5, revisionsPerOrder: 4, duckdbFile });
    expect(report.ok).toBe(true);
    const table = report.sinkTable.split(' ').at(-1) as string;
    const instance = await DuckDBInstance.create(duckdbFile);
    const connection = await instance.connect();
    const rows = (
      await connection.runAndReadAll(`SELECT key, entity_version, status FROM "${table}" ORDER BY key`)
    ).getRowObjectsJS();
    connection.closeSync();
    instance.closeSync();
    expect(rows).toEqual(
      Array.from({ length: 5 }, (_, order) => ({
        key: `order-${order}`,
        entity_version: 3n,
        status: 'shipped',
      })),
    );
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

it('refuses a sink it does not know, naming the ones it does', async () => {
  await expect(runDemo({ orders: 2, revisionsPerOrder: 2, sink: 'mysql' as never })).rejects.toThrow(
    /unknown demo sink "mysql": one of duckdb, postgres, redis/,
  );
});
