import type { FlowSample, MonitorSnapshot } from '../monitor-snapshot';

/** A minute-by-minute hour of history ending at `now`, lag rising towards `lagEvents`. */
export function hourOfSamples(now: number, lagEvents: number): FlowSample[] {
  return Array.from({ length: 61 }, (_, minute) => ({
    at: now - (60 - minute) * 60_000,
    lagEvents: Math.round((lagEvents * minute) / 60),
    lagSeconds: minute === 30 ? null : minute / 10,
    freshnessP99Ms: 200 + minute * 5,
    eventsPerSecond: 100 + (minute % 10) * 3,
  }));
}

/** One flow, one firing and one resolved alert, and a reconciliation that differs. */
export function statusSnapshot(options: {
  readonly lagEvents: number;
  readonly now?: number;
}): MonitorSnapshot {
  const now = options.now ?? Date.now();
  return {
    at: new Date(now).toISOString(),
    flows: [
      {
        name: 'orders-to-postgres',
        groupId: 'orders-sink',
        topics: ['orders.v1'],
        lagEvents: options.lagEvents,
        lagSeconds: 12.5,
        freshnessP50Ms: 420,
        freshnessP99Ms: 1_800,
        eventsPerSecond: 250,
        history: hourOfSamples(now, options.lagEvents),
      },
    ],
    alerts: [
      {
        rule: 'lag-above-1000',
        flow: 'orders-to-postgres',
        state: 'firing',
        since: new Date(now - 120_000).toISOString(),
        message: 'lag is 5,000 events, above 1,000',
        value: options.lagEvents,
      },
      {
        rule: 'freshness-p99-above-5s',
        flow: 'orders-to-postgres',
        state: 'resolved',
        since: new Date(now - 600_000).toISOString(),
        message: 'freshness p99 back under 5 s',
        value: 1_800,
      },
    ],
    reconciliation: {
      name: 'orders table',
      at: new Date(now - 300_000).toISOString(),
      source: 'orders.v1',
      sink: 'postgres:orders',
      matched: false,
      differingKeys: 3,
    },
  };
}
