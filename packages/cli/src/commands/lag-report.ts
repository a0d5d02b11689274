import type { PartitionLag as MonitorPartitionLag } from '@inlet/monitor';
import { formatTable } from '../command';

/** One partition of `inlet lag`, as `--json` prints it. */
export interface LagPartition {
  readonly topic: string;
  readonly partition: number;
  readonly committed: string | null;
  readonly end: string;
  /** Records the group has yet to read. */
  readonly lag: number;
  /** Age in seconds of the oldest unconsumed record; null when nothing is behind. */
  readonly lagSeconds: number | null;
}

/** A topic's totals: the sum of its partitions' lag, the oldest of their unconsumed records. */
export interface LagTopicTotal {
  readonly topic: string;
  readonly lag: number;
  readonly lagSeconds: number | null;
}

export interface LagThresholds {
  readonly maxLag: number | undefined;
  readonly maxLagSeconds: number | undefined;
}

/** The whole `--json` output of `inlet lag`. */
export interface LagReport {
  readonly group: string;
  readonly partitions: readonly LagPartition[];
  readonly topics: readonly LagTopicTotal[];
  readonly totalLag: number;
  /** The oldest unconsumed record over all topics, in seconds; null when nothing is behind. */
  readonly lagSeconds: number | null;
  readonly thresholds: {
    readonly maxLag: number | null;
    readonly maxLagSeconds: number | null;
    /** What went over its threshold, e.g. `["lag", "lagSeconds"]`; empty when nothing did. */
    readonly exceeded: readonly ('lag' | 'lagSeconds')[];
  };
}

const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

function maxSeconds(values: readonly (number | null)[]): number | null {
  let max: number | null = null;
  for (const value of values) if (value !== null && (max === null || value > max)) max = value;
  return max;
}

/** Builds the report from `@inlet/monitor`'s per-partition lag. */
export function lagReport(
  group: string,
  lags: readonly MonitorPartitionLag[],
  thresholds: LagThresholds,
): LagReport {
  const partitions: LagPartition[] = [...lags]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((lag) => ({
      topic: lag.topic,
      partition: lag.partition,
      committed: lag.committedOffset,
      end: lag.endOffset,
      lag: lag.lagEvents,
      // The monitor says 0 s for a partition with no lag; here that is "nothing behind": null.
      lagSeconds: lag.lagEvents === 0 ? null : roundMs(lag.lagSeconds),
    }));
  const topics: LagTopicTotal[] = [];
  for (const partition of partitions) {
    const last = topics.at(-1);
    if (last?.topic === partition.topic)
      topics[topics.length - 1] = {
        topic: last.topic,
        lag: last.lag + partition.lag,
        lagSeconds: maxSeconds([last.lagSeconds, partition.lagSeconds]),
      };
    else topics.push({ topic: partition.topic, lag: partition.lag, lagSeconds: partition.lagSeconds });
  }
  const totalLag = partitions.reduce((sum, partition) => sum + partition.lag, 0);
  const lagSeconds = maxSeconds(partitions.map((partition) => partition.lagSeconds));
  const exceeded: ('lag' | 'lagSeconds')[] = [];
  if (thresholds.maxLag !== undefined && totalLag > thresholds.maxLag) exceeded.push('lag');
  if (thresholds.maxLagSeconds !== undefined && lagSeconds !== null && lagSeconds > thresholds.maxLagSeconds)
    exceeded.push('lagSeconds');
  return {
    group,
    partitions,
    topics,
    totalLag,
    lagSeconds,
    thresholds: {
      maxLag: thresholds.maxLag ?? null,
      maxLagSeconds: thresholds.maxLagSeconds ?? null,
      exceeded,
    },
  };
}

/** Seconds as people read them: `-` for nothing behind, `42.1s`, `1h02m03s`. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m${pad(s)}s` : `${m}m${pad(s)}s`;
}

/** The table `inlet lag` prints without `--json`. */
export function formatLagReport(report: LagReport): string {
  const rows = report.partitions.map((p) => [
    p.topic,
    String(p.partition),
    p.committed ?? '-',
    p.end,
    String(p.lag),
    formatSeconds(p.lagSeconds),
  ]);
  let text = formatTable(['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'LAG TIME'], rows);
  if (report.topics.length > 1)
    for (const topic of report.topics)
      text += `topic ${topic.topic}: lag ${topic.lag}, oldest unconsumed ${formatSeconds(topic.lagSeconds)}\n`;
  text += `total lag ${report.totalLag}, oldest unconsumed ${formatSeconds(report.lagSeconds)}\n`;
  return text;
}
