import type { Bucketing } from './bucketing';

/** One bucket's row count and checksum (the sum of its rows' digests modulo 2^64). */
export interface BucketSummary {
  readonly rows: number;
  readonly checksum: bigint;
}

/** What both sides are compared on: the columns (sorted by name) and how rows are bucketed. */
/** A side that reads its rows first (a topic) says how far it is: offsets read of `total`. */
export type ReadProgress = (done: number, total: number) => void;

export interface ComparePlan {
  readonly columns: readonly string[];
  readonly bucketing: Bucketing;
  readonly signal: AbortSignal;
  readonly onRead?: ReadProgress;
}

/**
 * One side of a comparison, a source or a sink: it tells its compared columns, sums up its
 * buckets, and lists the keys (with their digests) of the buckets that differ. Made by
 * `postgresTableSource`, `topicSource`, `postgresTableSink`, `redisSink`, `duckDbTableSink`; a
 * side of your own implements this.
 */
export interface ReconcileSide {
  /** For the report: `postgres:public.orders`, `redis:orders:*`, `topic:orders`. */
  readonly description: string;
  /**
   * The columns it would compare by default (a source's columns decide for both sides); a side
   * that cannot tell returns undefined.
   */
  columns(signal: AbortSignal, onRead?: ReadProgress): Promise<readonly string[] | undefined>;
  /** Checks the side has these columns (and the time column) in a comparable type; throws a typed error naming what is wrong. */
  prepare(plan: ComparePlan): Promise<void>;
  /** Row count and checksum of every non-empty bucket. */
  summarise(plan: ComparePlan): Promise<ReadonlyMap<number, BucketSummary>>;
  /** Every row's key and digest in these buckets. */
  digestsIn(plan: ComparePlan, buckets: readonly number[]): Promise<ReadonlyMap<string, bigint>>;
}
