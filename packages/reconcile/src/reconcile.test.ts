import { InletError, InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { memorySide } from './memory-side.test-support';
import { reconcile } from './reconcile';
import type { ReconcileProgress } from './reconcile-report';
import { scheduleReconcile } from './schedule-reconcile';

function rows(count: number): Record<string, Record<string, unknown>> {
  const made: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < count; i += 1) made[`k${i}`] = { name: `n${i}`, qty: i % 7, at: new Date(i * 60_000) };
  return made;
}

describe('reconcile', () => {
  it('matches equal sides, reading no keys', async () => {
    const sink = memorySide('sink', rows(1000));
    const report = await reconcile({ source: memorySide('source', rows(1000)), sink });
    expect(report).toMatchObject({
      matched: true,
      rows: { source: 1000, sink: 1000 },
      missing: [],
      extra: [],
      changed: [],
      buckets: { differing: 0 },
    });
    expect(sink.asked).toEqual([]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('narrows only the differing buckets down to the missing, extra and changed keys', async () => {
    const target = rows(1000);
    delete target.k10;
    (target.k20 as Record<string, unknown>).qty = 99;
    target.stray = { name: 'x', qty: 1, at: new Date(0) };
    const sink = memorySide('sink', target);
    const report = await reconcile({
      source: memorySide('source', rows(1000)),
      sink,
      buckets: { kind: 'key', count: 64 },
    });
    expect(report).toMatchObject({
      matched: false,
      missing: ['k10'],
      extra: ['stray'],
      changed: ['k20'],
      totals: { missing: 1, extra: 1, changed: 1 },
      rows: { source: 1000, sink: 1000 },
      buckets: { total: 64 },
    });
    expect(report.buckets.differing).toBeLessThanOrEqual(3);
    expect(sink.asked.flat()).toHaveLength(report.buckets.differing);
  });

  it('buckets by time, and a changed time moves the row between buckets', async () => {
    const target = rows(500);
    (target.k5 as Record<string, unknown>).at = new Date(10 ** 9);
    const report = await reconcile({
      source: memorySide('source', rows(500)),
      sink: memorySide('sink', target),
      buckets: { kind: 'time', column: 'at', widthMs: 3_600_000 },
    });
    expect(report).toMatchObject({ changed: ['k5'], missing: [], extra: [], buckets: { differing: 2 } });
  });

  it('caps the lists and keeps the totals exact', async () => {
    const target = rows(300);
    for (let i = 0; i < 250; i += 1) delete target[`k${i}`];
    const report = await reconcile({
      source: memorySide('s', rows(300)),
      sink: memorySide('t', target),
      maxKeys: 10,
    });
    expect(report.missing).toHaveLength(10);
    expect(report.totals.missing).toBe(250);
    expect(report.truncated).toBe(true);
  });

  it('reports progress with a total to estimate from', async () => {
    const seen: ReconcileProgress[] = [];
    const target = rows(100);
    delete target.k1;
    await reconcile({
      source: memorySide('s', rows(100)),
      sink: memorySide('t', target),
      onProgress: (p) => seen.push(p),
    });
    expect(seen.at(0)).toMatchObject({ phase: 'summarising', done: 0, total: 2 });
    expect(seen.at(-1)).toMatchObject({ phase: 'narrowing', done: 1, total: 1, differingBuckets: 1 });
  });

  it('stops with INLET_ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      reconcile({
        source: memorySide('s', rows(10)),
        sink: memorySide('t', rows(10)),
        signal: controller.signal,
      }),
    ).rejects.toSatisfy((error) => InletError.hasCode(error, InletErrorCode.aborted));
  });

  it('refuses bad options, naming them', async () => {
    await expect(() =>
      reconcile({ source: memorySide('s', {}), sink: {} as never, buckets: { kind: 'key', count: 0 } }),
    ).rejects.toThrow(/sink: must be a reconcile side.*buckets.count: must be an integer/s);
  });
});

describe('scheduleReconcile', () => {
  it('runs again and again, calls onDrift for drift only, and stops on close', async () => {
    const drift: unknown[] = [];
    const target = rows(20);
    delete target.k3;
    const schedule = scheduleReconcile({
      source: memorySide('s', rows(20)),
      sink: memorySide('t', target),
      everyMs: 5,
      onDrift: (report) => drift.push(report),
    });
    while (schedule.runs < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await schedule.close();
    await schedule.close();
    const runs = schedule.runs;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(schedule.runs).toBe(runs);
    expect(drift.length).toBeGreaterThanOrEqual(3);
  });

  it('takes onReport alone, and calls it with matched reports too', async () => {
    const matched: boolean[] = [];
    const schedule = scheduleReconcile({
      source: memorySide('s', rows(20)),
      sink: memorySide('t', rows(20)),
      everyMs: 5,
      onReport: (report) => void matched.push(report.matched),
    });
    while (schedule.runs < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await schedule.close();
    expect(matched.length).toBeGreaterThanOrEqual(2);
    expect(new Set(matched)).toEqual(new Set([true]));
  });
});
