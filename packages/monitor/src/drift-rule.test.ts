import type { KafkaTransport } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import type { AlertRule, ReconciliationObservation } from './alert-rule';
import { createAlerts } from './alerts';
import { createMonitor } from './monitor';
import type { AlertStatus } from './monitor-snapshot';

function harness(rules: AlertRule[]) {
  let clock = 1_000_000;
  const latest = new Map<string, ReconciliationObservation>();
  const heard: AlertStatus[] = [];
  const alerts = createAlerts({
    rules,
    hooks: [(change) => void heard.push(change)],
    now: () => clock,
    observe: () => [],
    reconciliations: () => [...latest.values()],
  });
  return {
    alerts,
    heard,
    states: () => heard.map((change) => `${change.state} ${change.flow}`),
    /** Records a reconciliation of `name` that ran now. */
    reconciled(name: string, differingKeys: number) {
      latest.set(name, { name, at: clock, differingKeys });
    },
    /** Evaluates every `stepMs` for `totalMs`. */
    async run(totalMs: number, stepMs = 1_000) {
      for (let spent = 0; spent < totalMs; spent += stepMs) {
        clock += stepMs;
        await alerts.evaluate();
      }
    },
  };
}

describe('drift rule', () => {
  it('fires once on differences, stays quiet while they last, and resolves on a clean run', async () => {
    const h = harness([{ kind: 'drift', name: 'drift' }]);
    await h.run(5_000);
    expect(h.heard).toEqual([]);
    h.reconciled('orders', 0);
    await h.run(5_000);
    expect(h.heard).toEqual([]);
    for (let run = 0; run < 10; run += 1) {
      h.reconciled('orders', 3 + run);
      await h.run(2_000);
    }
    expect(h.heard).toHaveLength(1);
    expect(h.heard[0]).toMatchObject({
      rule: 'drift',
      flow: 'orders',
      state: 'firing',
      value: 3,
      message: '3 differing keys',
    });
    h.reconciled('orders', 0);
    await h.run(10_000);
    expect(h.states()).toEqual(['firing orders', 'resolved orders']);
    expect(h.heard[1]).toMatchObject({ value: 0, message: 'no differences' });
    expect(h.alerts.statuses()).toMatchObject([{ rule: 'drift', flow: 'orders', state: 'resolved' }]);
    await h.alerts.close();
  });

  it('fires only above maxDifferingKeys', async () => {
    const h = harness([{ kind: 'drift', name: 'drift', maxDifferingKeys: 5 }]);
    h.reconciled('orders', 5);
    await h.run(3_000);
    expect(h.heard).toEqual([]);
    h.reconciled('orders', 6);
    await h.run(1_000);
    expect(h.heard).toMatchObject([{ state: 'firing', value: 6, message: '6 differing keys > 5' }]);
    h.reconciled('orders', 2);
    await h.run(1_000);
    expect(h.states()).toEqual(['firing orders', 'resolved orders']);
    await h.alerts.close();
  });

  it('watches one name with `flow`, or each name on its own without', async () => {
    const h = harness([
      { kind: 'drift', name: 'orders-drift', flow: 'orders' },
      { kind: 'drift', name: 'any-drift' },
    ]);
    h.reconciled('orders', 1);
    h.reconciled('payments', 2);
    await h.run(1_000);
    expect(h.heard.map((change) => `${change.rule} ${change.flow}`).sort()).toEqual([
      'any-drift orders',
      'any-drift payments',
      'orders-drift orders',
    ]);
    await h.alerts.close();
  });

  it('does not storm when runs flap between drift and clean (forMs, resolveAfterMs)', async () => {
    const h = harness([{ kind: 'drift', name: 'drift', forMs: 3_000, resolveAfterMs: 5_000 }]);
    for (let flap = 0; flap < 20; flap += 1) {
      h.reconciled('orders', flap % 2 === 0 ? 4 : 0);
      await h.run(2_000);
    }
    expect(h.heard).toEqual([]);
    h.reconciled('orders', 4);
    await h.run(4_000);
    for (let flap = 0; flap < 20; flap += 1) {
      h.reconciled('orders', flap % 2 === 0 ? 0 : 4);
      await h.run(2_000);
    }
    expect(h.states()).toEqual(['firing orders']);
    await h.alerts.close();
  });

  it('with staleAfterMs, fires when no reconciliation came for that long, and resolves on a clean one', async () => {
    const h = harness([{ kind: 'drift', name: 'drift', flow: 'orders', staleAfterMs: 10_000 }]);
    await h.run(10_000);
    expect(h.heard).toEqual([]);
    // Never ran since the alerts started: stale as well.
    await h.run(1_000);
    expect(h.heard).toMatchObject([{ state: 'firing', flow: 'orders', value: null }]);
    expect(h.heard[0]?.message).toMatch(/^no reconciliation for 11 s$/);
    h.reconciled('orders', 0);
    await h.run(1_000);
    expect(h.states()).toEqual(['firing orders', 'resolved orders']);
    await h.run(9_000);
    expect(h.heard).toHaveLength(2);
    await h.run(2_000);
    expect(h.states()).toEqual(['firing orders', 'resolved orders', 'firing orders']);
    await h.alerts.close();
  });

  it('does not read flow observations, and other rules do not read reconciliations', async () => {
    let clock = 0;
    const heard: AlertStatus[] = [];
    const alerts = createAlerts({
      rules: [
        { kind: 'drift', name: 'drift' },
        { kind: 'lag', name: 'lag', maxEvents: 10 },
      ],
      hooks: [(change) => void heard.push(change)],
      now: () => clock,
      observe: () => [
        {
          flow: 'orders',
          at: clock,
          lagRead: true,
          lagEvents: 0,
          lagSeconds: 0,
          freshnessP99Ms: null,
          endOffsetSum: 0,
          committedOffsetSum: 0,
          deadLetteredTotal: 0,
          producedBatchesTotal: 0,
        },
      ],
      reconciliations: () => [{ name: 'orders-recon', at: clock, differingKeys: 7 }],
    });
    clock += 1_000;
    await alerts.evaluate();
    expect(heard.map((change) => `${change.rule} ${change.flow}`)).toEqual(['drift orders-recon']);
    await alerts.close();
  });

  it('refuses a negative maxDifferingKeys or staleAfterMs', () => {
    for (const rule of [
      { kind: 'drift', name: 'd', maxDifferingKeys: -1 },
      { kind: 'drift', name: 'd', staleAfterMs: -1 },
    ])
      expect(() => createAlerts({ rules: [rule as AlertRule], observe: () => [] })).toThrow(/rules/);
  });
});

describe('monitor.setReconciliation', () => {
  // Lag cannot be read from this transport; reconciliations and drift rules do not need it.
  const transport = {
    consumer: () => {
      throw new Error('no broker');
    },
    admin: () => {
      throw new Error('no broker');
    },
  } as unknown as KafkaTransport;

  it('takes a reconcile report as it is, shows it, and feeds drift rules at the next sample', async () => {
    let clock = Date.parse('2026-03-01T12:00:00.000Z');
    const heard: AlertStatus[] = [];
    const monitor = createMonitor({
      transport,
      flows: [{ name: 'orders', groupId: 'orders-group', topics: ['orders'] }],
      rules: [{ kind: 'drift', name: 'orders-drift', flow: 'orders' }],
      hooks: [(change) => void heard.push(change)],
      sampleIntervalMs: 3_600_000,
      now: () => clock,
      onError: () => undefined,
    });
    const report = {
      source: 'postgres:orders',
      sink: 'postgres:orders_copy',
      matched: false,
      totals: { missing: 1, extra: 0, changed: 2 },
      missing: ['order-1'],
      extra: [],
      changed: ['order-2', 'order-3'],
      tookMs: 12,
    };
    monitor.setReconciliation({ ...report, name: 'orders' });
    expect(monitor.snapshot().reconciliation).toEqual({
      name: 'orders',
      at: '2026-03-01T12:00:00.000Z',
      source: 'postgres:orders',
      sink: 'postgres:orders_copy',
      matched: false,
      differingKeys: 3,
    });
    expect(heard).toEqual([]);
    clock += 1_000;
    const snapshot = await monitor.sample();
    expect(heard).toMatchObject([{ rule: 'orders-drift', flow: 'orders', state: 'firing', value: 3 }]);
    expect(snapshot.alerts).toEqual(heard);

    monitor.setReconciliation({
      ...report,
      matched: true,
      totals: { missing: 0, extra: 0, changed: 0 },
      name: 'orders',
    });
    await monitor.sample();
    await monitor.sample();
    expect(heard.map((change) => change.state)).toEqual(['firing', 'resolved']);
    await monitor.close();
  });

  it('takes a summary, names it after its sides by default, and refuses a bad count', async () => {
    const monitor = createMonitor({
      transport,
      flows: [{ name: 'orders', groupId: 'orders-group', topics: ['orders'] }],
      sampleIntervalMs: 3_600_000,
    });
    monitor.setReconciliation({
      at: '2026-03-01T12:00:00.000Z',
      source: 'a',
      sink: 'b',
      matched: true,
      differingKeys: 0,
    });
    expect(monitor.snapshot().reconciliation).toMatchObject({ name: 'a -> b', differingKeys: 0 });
    expect(() =>
      monitor.setReconciliation({ source: 'a', sink: 'b', matched: false, differingKeys: -2 }),
    ).toThrow(/differingKeys: must be a whole number/);
    expect(() =>
      monitor.setReconciliation({ at: 'yesterday', source: 'a', sink: 'b', matched: true, differingKeys: 0 }),
    ).toThrow(/at: must be an ISO-8601 time/);
    await monitor.close();
  });
});
