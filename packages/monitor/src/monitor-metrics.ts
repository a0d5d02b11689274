import { type Channel, channel } from 'node:diagnostics_channel';
import { checkOptions, closedError, option } from '@inlet/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RecentValues } from './recent-values';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Where the metrics are registered; default a new Registry of their own (never the global one). */
  readonly registry?: Registry;
  /** Prefix of every metric name; default `inlet_`. */
  readonly prefix?: string;
  /** Flow names by consumer group, for the `flow` label; a group not listed is its own flow. */
  readonly flows?: Readonly<Record<string, string>>;
  /** How far back `freshness()` quantiles look; default 60 000 ms. */
  readonly recentWindowMs?: number;
  /** Histogram buckets of freshness, in seconds. */
  readonly freshnessBuckets?: readonly number[];
  /** The clock, for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** Where a consumer group's freshness is measured to: handled by the consumer, or visible in a sink. */
export type FreshnessHop = 'handled' | 'visible';

export interface RecentFreshness {
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** Running totals of one consumer group, as published on the consumer's channels. */
export interface GroupTotals {
  readonly handled: number;
  readonly deadLettered: number;
  readonly commits: number;
  /** When the group last handled an event (ms since the epoch); undefined when it never did. */
  readonly lastHandledAt: number | undefined;
  /** When the group last committed (ms since the epoch). */
  readonly lastCommitAt: number | undefined;
  /** Partitions the consumer reports as stalled now. */
  readonly stalledPartitions: number;
}

/** Running totals of all producers in this process. */
export interface ProducerTotals {
  readonly batches: number;
  readonly records: number;
  readonly lastBatchAt: number | undefined;
}

/** Metrics kept from Inlet's diagnostics channels while open. */
export interface InletMetrics extends AsyncDisposable {
  readonly registry: Registry;
  /** The Prometheus text exposition of `registry`. */
  metricsText(): Promise<string>;
  /**
   * Recent freshness quantiles of a group, from event time to the hop: `handled` by the consumer
   * (default) or `visible` in a sink; nulls when nothing reached the hop recently.
   */
  freshness(groupId: string, hop?: FreshnessHop): RecentFreshness;
  /**
   * Recent freshness quantiles of a topic's first hop, from event time to the broker's
   * acknowledgement of the record (producers in this process); nulls when none was sent recently.
   */
  producedFreshness(topic: string): RecentFreshness;
  groupTotals(groupId: string): GroupTotals;
  producerTotals(): ProducerTotals;
  /** Records one lag sample in the lag gauges (called by the lag monitor). */
  recordLag(
    groupId: string,
    partitions: readonly { topic: string; partition: number; lagEvents: number; lagSeconds: number }[],
  ): void;
  /** Unsubscribes from every channel; idempotent. */
  close(): Promise<void>;
}

const channelNames = [
  'inlet:consumer:handled',
  'inlet:consumer:duplicate',
  'inlet:consumer:stale',
  'inlet:consumer:retry',
  'inlet:consumer:dead-lettered',
  'inlet:consumer:committed',
  'inlet:consumer:failed',
  'inlet:consumer:stall',
  'inlet:consumer:rebalance',
  'inlet:producer:batch-sent',
  'inlet:producer:batch-failed',
  'inlet:producer:batch-retry',
  'inlet:sink:visible',
  'inlet:sink:retry',
  'inlet:windowing:late',
  'inlet:windowing:checkpoint',
  'inlet:windowing:restored',
] as const;

type ChannelName = (typeof channelNames)[number];

const defaultFreshnessBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const metricsOptionShape = {
  registry: option.custom('a prom-client Registry', (value) => value instanceof Registry),
  prefix: option.string(),
  flows: option.custom(
    'an object of flow names by group id',
    (value) => typeof value === 'object' && value !== null,
  ),
  recentWindowMs: option.integer({ min: 1 }),
  freshnessBuckets: option.arrayOf(option.number({ min: 0 }), { minItems: 1 }),
  now: option.function('a function () => number'),
};

/** Message fields read defensively: the channels are public and anyone may publish on them. */
type Message = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : String(value ?? ''));
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

interface GroupState {
  handled: number;
  deadLettered: number;
  commits: number;
  lastHandledAt: number | undefined;
  lastCommitAt: number | undefined;
  stalled: Set<string>;
  freshness: RecentValues;
  visibleFreshness: RecentValues;
}

/**
 * Subscribes to Inlet's diagnostics channels and keeps Prometheus metrics from what they carry.
 * Publishers build messages only while someone listens, so `close()` makes them free again.
 */
export function createMetrics(options: MetricsOptions = {}): InletMetrics {
  checkOptions('createMetrics', options, metricsOptionShape);
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'inlet_';
  const flows = options.flows ?? {};
  const now = options.now ?? Date.now;
  const recentWindowMs = options.recentWindowMs ?? 60_000;
  const buckets = [...(options.freshnessBuckets ?? defaultFreshnessBuckets)];
  const flowOf = (groupId: string): string => flows[groupId] ?? groupId;
  const registers = [registry];

  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name: prefix + name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[], histogramBuckets: number[]) =>
    new Histogram({ name: prefix + name, help, labelNames, registers, buckets: histogramBuckets });
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name: prefix + name, help, labelNames, registers });

  const groupLabels = ['flow', 'group', 'topic'];
  const m = {
    handled: counter('consumer_events_handled_total', 'Events the handler completed.', groupLabels),
    duplicates: counter(
      'consumer_duplicates_total',
      'Events skipped as duplicates (dedup hits).',
      groupLabels,
    ),
    stale: counter('consumer_stale_total', 'Events skipped as stale entity versions.', groupLabels),
    retries: counter('consumer_retries_total', 'Failed attempts retried, by service.', [
      'flow',
      'group',
      'service',
    ]),
    deadLettered: counter(
      'consumer_dead_lettered_total',
      'Events sent to the dead-letter topic.',
      groupLabels,
    ),
    commits: counter('consumer_commits_total', 'Offset commits.', ['flow', 'group']),
    failures: counter('consumer_failures_total', 'Consumers stopped by a failure.', ['flow', 'group']),
    rebalances: counter('consumer_rebalances_total', 'Assignments received.', ['flow', 'group']),
    stalled: gauge('consumer_stalled_partitions', 'Partitions reported stalled now.', ['flow', 'group']),
    handlingSeconds: histogram('consumer_handling_seconds', 'Handling time per event.', groupLabels, buckets),
    freshness: histogram(
      'freshness_seconds',
      'End-to-end freshness from event time to the hop (produced, handled, visible).',
      ['hop', 'flow', 'group', 'topic'],
      buckets,
    ),
    lagEvents: gauge('consumer_lag_events', 'End offset minus committed offset.', [
      'flow',
      'group',
      'topic',
      'partition',
    ]),
    lagSeconds: gauge('consumer_lag_seconds', 'Age of the oldest unconsumed event.', [
      'flow',
      'group',
      'topic',
      'partition',
    ]),
    batches: counter('producer_batches_total', 'Batches the broker acknowledged.', ['producer']),
    producedRecords: counter('producer_records_total', 'Records the broker acknowledged.', ['producer']),
    batchFailures: counter('producer_batch_failures_total', 'Batches that failed for good.', ['producer']),
    batchRetries: counter('producer_batch_retries_total', 'Batch attempts retried.', ['producer']),
    ackSeconds: histogram(
      'producer_ack_seconds',
      'From batch send to acknowledgement.',
      ['producer'],
      buckets,
    ),
    queueSeconds: histogram(
      'producer_queue_seconds',
      'From send() of the oldest record to acknowledgement.',
      ['producer'],
      buckets,
    ),
    sinkBatchEvents: histogram(
      'sink_batch_events',
      'Events per sink batch.',
      ['sink', 'flow', 'group', 'topic'],
      [1, 10, 50, 100, 500, 1000, 5000],
    ),
    sinkWriteSeconds: histogram(
      'sink_write_seconds',
      'Sink batch write latency.',
      ['sink', 'flow', 'group', 'topic'],
      buckets,
    ),
    sinkRejected: counter('sink_rejected_total', 'Events a sink rejected.', [
      'sink',
      'flow',
      'group',
      'topic',
    ]),
    sinkRetries: counter('sink_retries_total', 'Sink writes retried.', ['sink', 'topic']),
    late: counter('windowing_late_events_total', 'Late events, by what the policy did.', ['name', 'outcome']),
    checkpoints: counter('windowing_checkpoints_total', 'State checkpoints written.', ['name']),
    restoredRecords: counter('windowing_restored_records_total', 'Changelog records restored.', ['name']),
  };

  const groups = new Map<string, GroupState>();
  const producedByTopic = new Map<string, RecentValues>();
  const producer = { batches: 0, records: 0, lastBatchAt: undefined as number | undefined };
  const groupState = (groupId: string): GroupState => {
    let state = groups.get(groupId);
    if (state === undefined) {
      state = {
        handled: 0,
        deadLettered: 0,
        commits: 0,
        lastHandledAt: undefined,
        lastCommitAt: undefined,
        stalled: new Set(),
        freshness: new RecentValues(recentWindowMs),
        visibleFreshness: new RecentValues(recentWindowMs),
      };
      groups.set(groupId, state);
    }
    return state;
  };
  const labelsOf = (msg: Message) => {
    const group = text(msg.groupId);
    return { flow: flowOf(group), group, topic: text(msg.topic) };
  };

  const handlers: Record<ChannelName, (msg: Message) => void> = {
    'inlet:consumer:handled': (msg) => {
      const labels = labelsOf(msg);
      const state = groupState(labels.group);
      const at = now();
      state.handled += 1;
      state.lastHandledAt = at;
      m.handled.inc(labels);
      const handlingMs = num(msg.handlingMs);
      if (handlingMs !== undefined) m.handlingSeconds.observe(labels, handlingMs / 1000);
      const freshnessMs = num(msg.freshnessMs);
      if (freshnessMs !== undefined) {
        m.freshness.observe({ hop: 'handled', ...labels }, Math.max(0, freshnessMs) / 1000);
        state.freshness.add(at, freshnessMs);
      }
    },
    'inlet:consumer:duplicate': (msg) => m.duplicates.inc(labelsOf(msg)),
    'inlet:consumer:stale': (msg) => m.stale.inc(labelsOf(msg)),
    'inlet:consumer:retry': (msg) => {
      const group = text(msg.groupId);
      m.retries.inc({ flow: flowOf(group), group, service: text(msg.service) });
    },
    'inlet:consumer:dead-lettered': (msg) => {
      const labels = labelsOf(msg);
      groupState(labels.group).deadLettered += 1;
      m.deadLettered.inc(labels);
    },
    'inlet:consumer:committed': (msg) => {
      const group = text(msg.groupId);
      const state = groupState(group);
      state.commits += 1;
      state.lastCommitAt = now();
      m.commits.inc({ flow: flowOf(group), group });
    },
    'inlet:consumer:failed': (msg) => {
      const group = text(msg.groupId);
      m.failures.inc({ flow: flowOf(group), group });
    },
    'inlet:consumer:stall': (msg) => {
      const group = text(msg.groupId);
      const state = groupState(group);
      const key = `${text(msg.topic)}:${text(msg.partition)}`;
      if (msg.state === 'stalled') state.stalled.add(key);
      else state.stalled.delete(key);
      m.stalled.set({ flow: flowOf(group), group }, state.stalled.size);
    },
    'inlet:consumer:rebalance': (msg) => {
      const group = text(msg.groupId);
      m.rebalances.inc({ flow: flowOf(group), group });
    },
    'inlet:producer:batch-sent': (msg) => {
      const labels = { producer: text(msg.producerId) };
      const records = num(msg.records) ?? 0;
      producer.batches += 1;
      producer.records += records;
      producer.lastBatchAt = now();
      m.batches.inc(labels);
      m.producedRecords.inc(labels, records);
      const ackMs = num(msg.ackLatencyMs);
      if (ackMs !== undefined) m.ackSeconds.observe(labels, ackMs / 1000);
      const queueMs = num(msg.queueLatencyMs);
      if (queueMs !== undefined) m.queueSeconds.observe(labels, queueMs / 1000);
      const ackedAt = num(msg.ackedAt);
      if (ackedAt === undefined || !Array.isArray(msg.events)) return;
      for (const event of msg.events as Message[]) {
        const topic = text(event.topic);
        const eventTime = num(event.eventTime);
        if (topic === undefined || eventTime === undefined) continue;
        const freshnessMs = Math.max(0, ackedAt - eventTime);
        m.freshness.observe({ hop: 'produced', flow: '', group: '', topic }, freshnessMs / 1000);
        let recent = producedByTopic.get(topic);
        if (recent === undefined) {
          recent = new RecentValues(recentWindowMs);
          producedByTopic.set(topic, recent);
        }
        recent.add(ackedAt, freshnessMs);
      }
    },
    'inlet:producer:batch-failed': (msg) => m.batchFailures.inc({ producer: text(msg.producerId) }),
    'inlet:producer:batch-retry': (msg) => m.batchRetries.inc({ producer: text(msg.producerId) }),
    'inlet:sink:visible': (msg) => {
      const sinkLabels = { sink: text(msg.sink), ...labelsOf(msg) };
      const events = Array.isArray(msg.events) ? (msg.events as Message[]) : [];
      m.sinkBatchEvents.observe(sinkLabels, events.length);
      const writeMs = num(msg.writeMs);
      if (writeMs !== undefined) m.sinkWriteSeconds.observe(sinkLabels, writeMs / 1000);
      const rejected = num(msg.rejected) ?? 0;
      if (rejected > 0) m.sinkRejected.inc(sinkLabels, rejected);
      const visibleAt = num(msg.visibleAt);
      if (visibleAt === undefined) return;
      const hopLabels = { hop: 'visible', ...labelsOf(msg) };
      const recent = groupState(text(msg.groupId)).visibleFreshness;
      for (const event of events) {
        const eventTime = num(event.eventTime);
        if (eventTime === undefined) continue;
        const freshnessMs = Math.max(0, visibleAt - eventTime);
        m.freshness.observe(hopLabels, freshnessMs / 1000);
        recent.add(visibleAt, freshnessMs);
      }
    },
    'inlet:sink:retry': (msg) => m.sinkRetries.inc({ sink: text(msg.sink), topic: text(msg.topic) }),
    'inlet:windowing:late': (msg) => m.late.inc({ name: text(msg.name), outcome: text(msg.outcome) }),
    'inlet:windowing:checkpoint': (msg) => m.checkpoints.inc({ name: text(msg.name) }),
    'inlet:windowing:restored': (msg) =>
      m.restoredRecords.inc({ name: text(msg.name) }, num(msg.records) ?? 0),
  };

  const subscriptions: { channel: Channel; listener: (message: unknown) => void }[] = [];
  for (const name of channelNames) {
    const listener = (message: unknown) => {
      if (typeof message === 'object' && message !== null) handlers[name](message as Message);
    };
    const subscribed = channel(name);
    subscribed.subscribe(listener);
    subscriptions.push({ channel: subscribed, listener });
  }

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const { channel: subscribed, listener } of subscriptions) subscribed.unsubscribe(listener);
  };

  return {
    registry,
    metricsText: () => registry.metrics(),
    freshness(groupId, hop = 'handled') {
      const state = groups.get(groupId);
      const values = hop === 'handled' ? state?.freshness : state?.visibleFreshness;
      const at = now();
      return {
        p50Ms: values?.quantile(at, 0.5) ?? null,
        p99Ms: values?.quantile(at, 0.99) ?? null,
      };
    },
    producedFreshness(topic) {
      const values = producedByTopic.get(topic);
      const at = now();
      return { p50Ms: values?.quantile(at, 0.5) ?? null, p99Ms: values?.quantile(at, 0.99) ?? null };
    },
    groupTotals(groupId) {
      const state = groups.get(groupId);
      return {
        handled: state?.handled ?? 0,
        deadLettered: state?.deadLettered ?? 0,
        commits: state?.commits ?? 0,
        lastHandledAt: state?.lastHandledAt,
        lastCommitAt: state?.lastCommitAt,
        stalledPartitions: state?.stalled.size ?? 0,
      };
    },
    producerTotals: () => ({ ...producer }),
    recordLag(groupId, partitions) {
      if (closed) throw closedError('metrics');
      const flow = flowOf(groupId);
      for (const each of partitions) {
        const labels = { flow, group: groupId, topic: each.topic, partition: String(each.partition) };
        m.lagEvents.set(labels, each.lagEvents);
        m.lagSeconds.set(labels, each.lagSeconds);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
