import {
  checkOptions,
  InletErrorCode,
  InletValidationError,
  type KafkaTransport,
  option,
  required,
  type ValidationIssue,
} from '@inlet/core';
import type { Registry } from 'prom-client';
import type { AlertRule, FlowObservation, ReconciliationObservation } from './alert-rule';
import { type AlertHook, type Alerts, createAlerts } from './alerts';
import { type PartitionLag, readGroupLag } from './group-lag';
import { lagSampleOf } from './lag-monitor';
import { createMetrics, type InletMetrics } from './monitor-metrics';
import type {
  FlowSample,
  FlowStatus,
  MonitorSnapshot,
  ReconciliationResult,
  ReconciliationSummary,
} from './monitor-snapshot';
import { createPeriodicSampler } from './periodic-sampler';

/** A flow to monitor: a consumer group reading some topics. */
export interface FlowDefinition {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
}

/** Options of {@link createMonitor}. */
export interface MonitorOptions {
  readonly transport: KafkaTransport;
  readonly flows: readonly FlowDefinition[];
  readonly rules?: readonly AlertRule[];
  readonly hooks?: readonly AlertHook[];
  /** How often lag is read and rules evaluated; default 10 000 ms. */
  readonly sampleIntervalMs?: number;
  /** How much sample history each flow keeps; default one hour. */
  readonly historyMs?: number;
  /** Where the metrics are registered; default a Registry of the monitor's own. */
  readonly registry?: Registry;
  /** How long reading the oldest unconsumed records may take per sample; default 15 000 ms. */
  readonly timestampTimeoutMs?: number;
  /** A failed lag reading or alert hook; monitoring goes on. */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
  /** Aborting closes the monitor, as `close()` does. */
  readonly signal?: AbortSignal;
}

/** Metrics, lag sampling and alerts over some flows. */
export interface Monitor extends AsyncDisposable {
  readonly metrics: InletMetrics;
  readonly registry: Registry;
  /** What the monitor knows now (from the latest sample). */
  snapshot(): MonitorSnapshot;
  /** Reads lag of every flow, evaluates the rules, and resolves with the new snapshot. */
  sample(): Promise<MonitorSnapshot>;
  metricsText(): Promise<string>;
  /**
   * Records a reconciliation: the latest shows in snapshots, and `drift` rules read the latest of
   * each name at the next sample.
   */
  setReconciliation(result: ReconciliationResult): void;
  /** Stops sampling, unsubscribes from diagnostics, waits for work in flight; idempotent. */
  close(): Promise<void>;
}

const flowShape = option.object({
  name: required(option.nonEmptyString()),
  groupId: required(option.nonEmptyString()),
  topics: required(option.arrayOf(option.nonEmptyString(), { minItems: 1 })),
});

const monitorOptionShape = {
  transport: required(option.methods('a KafkaTransport', ['consumer', 'admin'])),
  flows: required(option.arrayOf(flowShape, { minItems: 1 })),
  // Rules and hooks are checked in detail by createAlerts, which names them the same way.
  rules: option.custom('an array of alert rules', Array.isArray),
  hooks: option.custom('an array of hooks', Array.isArray),
  sampleIntervalMs: option.integer({ min: 1 }),
  historyMs: option.integer({ min: 1 }),
  registry: option.custom('a prom-client Registry', (value) => typeof value === 'object' && value !== null),
  timestampTimeoutMs: option.integer({ min: 1 }),
  onError: option.function('a function (error) => void'),
  now: option.function('a function () => number'),
  signal: option.custom('an AbortSignal', (value) => value instanceof AbortSignal),
};

interface FlowState {
  readonly definition: FlowDefinition;
  history: FlowSample[];
  observation: FlowObservation | undefined;
  lastHandled: { at: number; total: number } | undefined;
  eventsPerSecond: number;
  lastLag: { lagEvents: number; lagSeconds: number } | undefined;
}

const sumOffsets = (partitions: readonly PartitionLag[], pick: (each: PartitionLag) => string | null) =>
  partitions.reduce((sum, each) => sum + Number(pick(each) ?? 0), 0);

export function createMonitor(options: MonitorOptions): Monitor {
  checkOptions('createMonitor', options, monitorOptionShape, (given, issues) => {
    const names = (given.flows as FlowDefinition[]).map((flow) => flow.name);
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated !== undefined)
      issues.push({ path: 'flows', message: `has two flows named ${JSON.stringify(repeated)}` });
  });
  const now = options.now ?? Date.now;
  const historyMs = options.historyMs ?? 3_600_000;
  const intervalMs = options.sampleIntervalMs ?? 10_000;
  const metrics = createMetrics({
    flows: Object.fromEntries(options.flows.map((flow) => [flow.groupId, flow.name])),
    now,
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
  const flows = options.flows.map(
    (definition): FlowState => ({
      definition,
      history: [],
      observation: undefined,
      lastHandled: undefined,
      eventsPerSecond: 0,
      lastLag: undefined,
    }),
  );
  let reconciliation: ReconciliationSummary | undefined;
  const reconciliations = new Map<string, ReconciliationObservation>();
  let alerts: Alerts;
  try {
    alerts = createAlerts({
      rules: options.rules ?? [],
      hooks: options.hooks ?? [],
      observe: () => flows.flatMap((flow) => (flow.observation === undefined ? [] : [flow.observation])),
      reconciliations: () => [...reconciliations.values()],
      now,
      onHookError: (error) => options.onError?.(error),
    });
  } catch (error) {
    void metrics.close();
    throw error;
  }
  const sampleFlow = async (flow: FlowState, signal: AbortSignal): Promise<void> => {
    const { groupId, topics, name } = flow.definition;
    const totals = metrics.groupTotals(groupId);
    let partitions: PartitionLag[] | undefined;
    try {
      partitions = await readGroupLag({
        transport: options.transport,
        groupId,
        topics,
        now,
        signal,
        ...(options.timestampTimeoutMs === undefined
          ? {}
          : { timestampTimeoutMs: options.timestampTimeoutMs }),
      });
    } catch (error) {
      if (!signal.aborted) options.onError?.(error);
    }
    const at = now();
    if (flow.lastHandled !== undefined && at > flow.lastHandled.at)
      flow.eventsPerSecond = ((totals.handled - flow.lastHandled.total) * 1000) / (at - flow.lastHandled.at);
    flow.lastHandled = { at, total: totals.handled };
    const freshness = metrics.freshness(groupId);
    const lag = partitions === undefined ? undefined : lagSampleOf(at, partitions);
    if (partitions !== undefined && lag !== undefined) {
      metrics.recordLag(groupId, partitions);
      flow.lastLag = { lagEvents: lag.lagEvents, lagSeconds: lag.lagSeconds };
    }
    const previous = flow.observation;
    flow.observation = {
      flow: name,
      at,
      lagRead: partitions !== undefined,
      lagEvents: lag?.lagEvents ?? previous?.lagEvents ?? 0,
      lagSeconds: lag?.lagSeconds ?? null,
      freshnessP99Ms: freshness.p99Ms,
      endOffsetSum:
        partitions === undefined
          ? (previous?.endOffsetSum ?? 0)
          : sumOffsets(partitions, (each) => each.endOffset),
      committedOffsetSum:
        partitions === undefined
          ? (previous?.committedOffsetSum ?? 0)
          : sumOffsets(partitions, (each) => each.committedOffset),
      deadLetteredTotal: totals.deadLettered,
      producedBatchesTotal: metrics.producerTotals().batches,
    };
    flow.history.push({
      at,
      lagEvents: flow.observation.lagEvents,
      lagSeconds: flow.observation.lagSeconds,
      freshnessP99Ms: freshness.p99Ms,
      eventsPerSecond: flow.eventsPerSecond,
    });
    const from = at - historyMs;
    while ((flow.history[0]?.at ?? from) < from) flow.history.shift();
  };

  const snapshot = (): MonitorSnapshot => ({
    at: new Date(now()).toISOString(),
    flows: flows.map((flow): FlowStatus => {
      const freshness = metrics.freshness(flow.definition.groupId);
      return {
        name: flow.definition.name,
        groupId: flow.definition.groupId,
        topics: [...flow.definition.topics],
        lagEvents: flow.lastLag?.lagEvents ?? 0,
        lagSeconds: flow.lastLag?.lagSeconds ?? null,
        freshnessP50Ms: freshness.p50Ms,
        freshnessP99Ms: freshness.p99Ms,
        eventsPerSecond: flow.eventsPerSecond,
        history: [...flow.history],
      };
    }),
    alerts: alerts.statuses(),
    ...(reconciliation === undefined ? {} : { reconciliation }),
  });

  const sampler = createPeriodicSampler({
    subject: 'monitor',
    intervalMs,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    read: async (signal) => {
      await Promise.all(flows.map((flow) => sampleFlow(flow, signal)));
      if (!signal.aborted) await alerts.evaluate();
      return snapshot();
    },
  });
  const sample = sampler.sample;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      await sampler.close();
      await alerts.close();
      await metrics.close();
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    metrics,
    registry: metrics.registry,
    snapshot,
    sample,
    metricsText: () => metrics.metricsText(),
    setReconciliation(result) {
      const differingKeys =
        'differingKeys' in result
          ? result.differingKeys
          : result.totals.missing + result.totals.extra + result.totals.changed;
      const at = result.at ?? new Date(now()).toISOString();
      const issues: ValidationIssue[] = [];
      if (!Number.isInteger(differingKeys) || differingKeys < 0)
        issues.push({ path: 'differingKeys', message: 'must be a whole number >= 0 (or give totals)' });
      if (Number.isNaN(Date.parse(at))) issues.push({ path: 'at', message: 'must be an ISO-8601 time' });
      if (issues.length > 0)
        throw new InletValidationError(InletErrorCode.invalidOption, undefined, issues, {
          subject: 'setReconciliation result',
        });
      const name = result.name ?? `${result.source} -> ${result.sink}`;
      const { source, sink, matched } = result;
      reconciliation = { name, at, source, sink, matched, differingKeys };
      reconciliations.set(name, { name, at: Date.parse(at), differingKeys });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
