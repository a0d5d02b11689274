import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import type { AlertRule, FlowObservation } from './alert-rule';
import { createAlerts } from './alerts';
import type { AlertStatus } from './monitor-snapshot';

function harness(rules: AlertRule[]) {
  let clock = 1_000_000;
  let observation: Omit<FlowObservation, 'at' | 'flow'> = {
    lagRead: true,
    lagEvents: 0,
    lagSeconds: 0,
    freshnessP99Ms: null,
    endOffsetSum: 0,
    committedOffsetSum: 0,
    deadLetteredTotal: 0,
    producedBatchesTotal: 0,
  };
  const heard: AlertStatus[] = [];
  const alerts = createAlerts({
    rules,
    hooks: [(change) => void heard.push(change)],
    now: () => clock,
    observe: () => [{ flow: 'orders', at: clock, ...observation }],
  });
  return {
    alerts,
    heard,
    set: (changes: Partial<typeof observation>) => {
      observation = { ...observation, ...changes };
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

describe('createAlerts', () => {
  it('fires once after `forMs`, never again while firing, and resolves once', async () => {
    const h = harness([{ kind: 'lag', name: 'lag-high', maxEvents: 100, forMs: 5_000 }]);
    h.set({ lagEvents: 500 });
    await h.run(4_000);
    expect(h.heard).toEqual([]);
    await h.run(2_000);
    expect(h.heard.map((change) => change.state)).toEqual(['firing']);
    await h.run(60_000);
    expect(h.heard).toHaveLength(1);
    h.set({ lagEvents: 10 });
    await h.run(10_000);
    expect(h.heard.map((change) => change.state)).toEqual(['firing', 'resolved']);
    expect(h.heard[0]).toMatchObject({ rule: 'lag-high', flow: 'orders', value: 500 });
    expect(h.alerts.statuses()).toMatchObject([{ rule: 'lag-high', state: 'resolved' }]);
    await h.alerts.close();
  });

  it('does not storm when the value flaps around the threshold (hysteresis)', async () => {
    const h = harness([{ kind: 'lag', name: 'lag', maxEvents: 100, forMs: 3_000, resolveAfterMs: 5_000 }]);
    for (let flap = 0; flap < 20; flap += 1) {
      h.set({ lagEvents: flap % 2 === 0 ? 500 : 0 });
      await h.run(2_000);
    }
    expect(h.heard).toEqual([]);
    h.set({ lagEvents: 500 });
    await h.run(4_000);
    for (let flap = 0; flap < 20; flap += 1) {
      h.set({ lagEvents: flap % 2 === 0 ? 0 : 500 });
      await h.run(2_000);
    }
    expect(h.heard.map((change) => change.state)).toEqual(['firing']);
    await h.alerts.close();
  });

  it('fires stall when commits stop while lag stays, and resolves when they move', async () => {
    const h = harness([{ kind: 'stall', name: 'stalled', stalledForMs: 10_000 }]);
    h.set({ lagEvents: 5, committedOffsetSum: 100 });
    await h.run(9_000);
    expect(h.heard).toEqual([]);
    await h.run(2_000);
    expect(h.heard.map((change) => change.state)).toEqual(['firing']);
    h.set({ committedOffsetSum: 105, lagEvents: 0 });
    await h.run(1_000);
    expect(h.heard.map((change) => change.state)).toEqual(['firing', 'resolved']);
    await h.alerts.close();
  });

  it('does not call a caught-up group stalled', async () => {
    const h = harness([{ kind: 'stall', name: 'stalled', stalledForMs: 10_000 }]);
    h.set({ lagEvents: 0, committedOffsetSum: 100 });
    await h.run(60_000);
    expect(h.heard).toEqual([]);
    await h.alerts.close();
  });

  it('fires silence when end offsets stop while the broker answers, not when it does not', async () => {
    const h = harness([{ kind: 'silence', name: 'silent', silentForMs: 10_000 }]);
    h.set({ endOffsetSum: 1 });
    for (let step = 0; step < 20; step += 1) {
      h.set({ endOffsetSum: step + 1 });
      await h.run(1_000);
    }
    expect(h.heard).toEqual([]);
    h.set({ lagRead: false });
    await h.run(30_000);
    expect(h.heard).toEqual([]);
    h.set({ lagRead: true });
    await h.run(11_000);
    expect(h.heard.map((change) => change.state)).toEqual(['firing']);
    h.set({ endOffsetSum: 1_000 });
    await h.run(1_000);
    expect(h.heard.map((change) => change.state)).toEqual(['firing', 'resolved']);
    await h.alerts.close();
  });

  it('fires silence with alive: producer only while producer batches move', async () => {
    const h = harness([{ kind: 'silence', name: 'silent', silentForMs: 10_000, alive: 'producer' }]);
    await h.run(20_000);
    expect(h.heard).toEqual([]);
    for (let step = 0; step < 12; step += 1) {
      h.set({ producedBatchesTotal: step });
      await h.run(1_000);
    }
    expect(h.heard.map((change) => change.state)).toEqual(['firing']);
    await h.alerts.close();
  });

  it('fires freshness and dead-letter rate rules above their thresholds', async () => {
    const h = harness([
      { kind: 'freshness', name: 'fresh', maxMs: 1_000 },
      { kind: 'dlq-rate', name: 'dlq', maxPerMinute: 10, windowMs: 60_000 },
    ]);
    h.set({ freshnessP99Ms: 500 });
    await h.run(5_000);
    expect(h.heard).toEqual([]);
    h.set({ freshnessP99Ms: 5_000, deadLetteredTotal: 30 });
    await h.run(1_000);
    expect(h.heard.map((change) => `${change.rule}:${change.state}`).sort()).toEqual([
      'dlq:firing',
      'fresh:firing',
    ]);
    await h.alerts.close();
  });

  it('keeps calling hooks after one throws and reports the error', async () => {
    const errors: unknown[] = [];
    const heard: AlertStatus[] = [];
    let clock = 0;
    const alerts = createAlerts({
      rules: [{ kind: 'lag', name: 'lag', maxEvents: 1 }],
      hooks: [
        () => {
          throw new Error('hook down');
        },
        (change) => void heard.push(change),
      ],
      onHookError: (error) => errors.push(error),
      now: () => clock++,
      observe: () => [
        {
          flow: 'f',
          at: clock,
          lagRead: true,
          lagEvents: 5,
          lagSeconds: 1,
          freshnessP99Ms: null,
          endOffsetSum: 5,
          committedOffsetSum: 0,
          deadLetteredTotal: 0,
          producedBatchesTotal: 0,
        },
      ],
    });
    await alerts.evaluate();
    expect(heard).toHaveLength(1);
    expect(errors).toHaveLength(1);
    await alerts.close();
    await expect(alerts.evaluate()).rejects.toMatchObject({ code: 'INLET_CLOSED' });
  });

  it('refuses invalid rules, naming the option', () => {
    const make = (rules: unknown) => () => createAlerts({ rules: rules as AlertRule[], observe: () => [] });
    expect(make([{ kind: 'lag', name: 'x' }])).toThrow(InletError);
    expect(make([{ kind: 'lag', name: 'x' }])).toThrow(/rules/);
    expect(make([{ kind: 'nope', name: 'x' }])).toThrow(/rules/);
    expect(
      make([
        { kind: 'stall', name: 'x', stalledForMs: 1 },
        { kind: 'stall', name: 'x', stalledForMs: 1 },
      ]),
    ).toThrow(/two rules named "x"/);
  });
});
