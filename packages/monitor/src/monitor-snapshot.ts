/** What the monitor knows at one instant; the status page renders it as JSON. */
export interface MonitorSnapshot {
  /** ISO-8601 time the snapshot was taken. */
  readonly at: string;
  readonly flows: readonly FlowStatus[];
  readonly alerts: readonly AlertStatus[];
  readonly reconciliation?: ReconciliationSummary;
}

/** One monitored flow: a consumer group reading some topics. */
export interface FlowStatus {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Sum over partitions of end offset minus committed offset. */
  readonly lagEvents: number;
  /** Age of the oldest unconsumed event; null until lag has been sampled. */
  readonly lagSeconds: number | null;
  readonly freshnessP50Ms: number | null;
  readonly freshnessP99Ms: number | null;
  readonly eventsPerSecond: number;
  /** Samples oldest first, covering at most `historyMs`. */
  readonly history: readonly FlowSample[];
}

/** A flow's state at one sampling instant (`at` in epoch milliseconds). */
export interface FlowSample {
  readonly at: number;
  readonly lagEvents: number;
  readonly lagSeconds: number | null;
  readonly freshnessP99Ms: number | null;
  readonly eventsPerSecond: number;
}

/** The latest state change of one alert rule on one flow. */
export interface AlertStatus {
  readonly rule: string;
  readonly flow: string;
  readonly state: 'firing' | 'resolved';
  /** ISO-8601 time of the state change. */
  readonly since: string;
  readonly message: string;
  readonly value: number | null;
}

/** The last reconciliation of a source against a sink. */
export interface ReconciliationSummary {
  /** The name it was recorded under (what `drift` rules match as their `flow`). */
  readonly name?: string;
  readonly at: string;
  readonly source: string;
  readonly sink: string;
  readonly matched: boolean;
  readonly differingKeys: number;
}

/**
 * What `Monitor.setReconciliation` takes: a `ReconcileReport` of @inlet/reconcile as it is
 * (`{ ...report, name }`), or a {@link ReconciliationSummary}.
 */
export type ReconciliationResult = {
  /** What `drift` rules match as their `flow`, and the alerts show; default `<source> -> <sink>`. */
  readonly name?: string;
  /** ISO-8601 time it ran; default the time it is recorded. */
  readonly at?: string;
  readonly source: string;
  readonly sink: string;
  readonly matched: boolean;
} & (
  | { readonly differingKeys: number }
  | { readonly totals: { readonly missing: number; readonly extra: number; readonly changed: number } }
);
