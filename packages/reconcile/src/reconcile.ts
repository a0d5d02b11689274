import { checkOptions, option, required, throwIfAborted } from '@inlet/core';
import { type Bucketing, defaultBucketCount } from './bucketing';
import type { ReconcileProgress, ReconcileReport } from './reconcile-report';
import type { BucketSummary, ComparePlan, ReconcileSide } from './reconcile-side';

export interface ReconcileOptions {
  /** What should be: `postgresTableSource`, `topicSource`, or a side of your own. */
  readonly source: ReconcileSide;
  /** What was written: `postgresTableSink`, `redisSink`, `duckDbTableSink`, or a side of your own. */
  readonly sink: ReconcileSide;
  /** How rows are bucketed. Default `{ kind: 'key', count: 1024 }`. */
  readonly buckets?: Bucketing;
  /** The compared columns; default: the source's (all its columns but the key). */
  readonly columns?: readonly string[];
  /** At most this many keys per list in the report (totals stay exact). Default 100. */
  readonly maxKeys?: number;
  /** Called as the run moves on; `done`/`total` give an ETA. */
  readonly onProgress?: (progress: ReconcileProgress) => void;
  /** Stops the run with INLET_ABORTED. */
  readonly signal?: AbortSignal;
}

export const reconcileDefaults = { bucketCount: defaultBucketCount, maxKeys: 100 } as const;

const sideRule = option.methods('a reconcile side (postgresTableSource, topicSource, redisSink, …)', [
  'columns',
  'prepare',
  'summarise',
  'digestsIn',
]);

const bucketingRule = option.either(
  [
    option.object({
      kind: required(option.oneOf(['key'])),
      count: required(option.integer({ min: 1, max: 1 << 30 })),
    }),
    option.object({
      kind: required(option.oneOf(['time'])),
      column: required(option.nonEmptyString()),
      widthMs: required(option.integer({ min: 1 })),
    }),
  ],
  (value) =>
    (value as { kind?: unknown } | null)?.kind === 'time'
      ? 1
      : typeof value === 'object' && value !== null
        ? 0
        : undefined,
);

export const reconcileShape = {
  source: required(sideRule),
  sink: required(sideRule),
  buckets: bucketingRule,
  columns: option.arrayOf(option.nonEmptyString(), { minItems: 1 }),
  maxKeys: option.integer({ min: 0 }),
  onProgress: option.function('a function (progress) => void'),
  signal: option.custom('an AbortSignal', (value) => value instanceof AbortSignal),
};

function differingBuckets(
  source: ReadonlyMap<number, BucketSummary>,
  sink: ReadonlyMap<number, BucketSummary>,
): { readonly total: number; readonly differing: number[] } {
  const all = new Set([...source.keys(), ...sink.keys()]);
  const differing: number[] = [];
  for (const bucket of all) {
    const a = source.get(bucket);
    const b = sink.get(bucket);
    if (a === undefined || b === undefined || a.rows !== b.rows || a.checksum !== b.checksum)
      differing.push(bucket);
  }
  return { total: all.size, differing: differing.sort((x, y) => x - y) };
}

const rowCount = (summaries: ReadonlyMap<number, BucketSummary>) => {
  let rows = 0;
  for (const summary of summaries.values()) rows += summary.rows;
  return rows;
};

// Narrowing asks for the keys of this many buckets at a time: one query each side, small answers.
const bucketsPerNarrowingStep = 64;

/**
 * Compares a source with a sink and says exactly what differs. Each side sums up its rows per
 * bucket (a row count and the sum of the rows' 64-bit digests, on the server for PostgreSQL);
 * only the buckets whose sums differ are read key by key, to find the keys missing in the sink,
 * extra in it, and changed. Resolves with a JSON-serialisable report.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  checkOptions('reconcile', options, reconcileShape);
  const started = performance.now();
  const signal = options.signal ?? new AbortController().signal;
  const maxKeys = options.maxKeys ?? reconcileDefaults.maxKeys;
  const bucketing: Bucketing = options.buckets ?? { kind: 'key', count: reconcileDefaults.bucketCount };
  const progress = (phase: ReconcileProgress['phase'], done: number, total: number, differing: number) =>
    options.onProgress?.({
      phase,
      done,
      total,
      differingBuckets: differing,
      elapsedMs: performance.now() - started,
    });
  const { source, sink } = options;
  const onRead = (done: number, total: number) => progress('reading', done, total, 0);

  throwIfAborted(signal, 'reconcile');
  const columns = [
    ...(options.columns ??
      (await source.columns(signal, onRead)) ??
      (await sink.columns(signal, onRead)) ??
      []),
  ].sort();
  const plan: ComparePlan = { columns, bucketing, signal, onRead };
  await Promise.all([source.prepare(plan), sink.prepare(plan)]);
  progress('summarising', 0, 2, 0);
  let summarised = 0;
  const summarise = async (side: ReconcileSide) => {
    const summaries = await side.summarise(plan);
    summarised += 1;
    progress('summarising', summarised, 2, 0);
    return summaries;
  };
  const [sourceSummaries, sinkSummaries] = await Promise.all([summarise(source), summarise(sink)]);
  const { total, differing } = differingBuckets(sourceSummaries, sinkSummaries);

  const missing: string[] = [];
  const extra: string[] = [];
  const changed: string[] = [];
  progress('narrowing', 0, differing.length, differing.length);
  for (let at = 0; at < differing.length; at += bucketsPerNarrowingStep) {
    throwIfAborted(signal, 'reconcile');
    const step = differing.slice(at, at + bucketsPerNarrowingStep);
    const [expected, found] = await Promise.all([source.digestsIn(plan, step), sink.digestsIn(plan, step)]);
    for (const [key, digest] of expected) {
      const other = found.get(key);
      if (other === undefined) missing.push(key);
      else if (other !== digest) changed.push(key);
    }
    for (const key of found.keys()) if (!expected.has(key)) extra.push(key);
    progress('narrowing', Math.min(at + step.length, differing.length), differing.length, differing.length);
  }
  throwIfAborted(signal, 'reconcile');
  const cut = (keys: string[]) => keys.sort().slice(0, maxKeys);
  return {
    source: source.description,
    sink: sink.description,
    buckets: { total, differing: differing.length },
    rows: { source: rowCount(sourceSummaries), sink: rowCount(sinkSummaries) },
    missing: cut(missing),
    extra: cut(extra),
    changed: cut(changed),
    totals: { missing: missing.length, extra: extra.length, changed: changed.length },
    truncated: Math.max(missing.length, extra.length, changed.length) > maxKeys,
    columns,
    matched: differing.length === 0,
    tookMs: Math.round(performance.now() - started),
  };
}
