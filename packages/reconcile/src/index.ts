export {
  type Bucketing,
  defaultBucketCount,
  type KeyBuckets,
  nullTimeBucket,
  type TimeBuckets,
} from './bucketing';
export { canonicalValue } from './canonical-value';
export {
  type DuckDbReadConnection,
  type DuckDbRowReader,
  type DuckDbTableSinkOptions,
  duckDbTableSink,
} from './duckdb-table-sink';
export { ExactDecimal, parseJsonExact } from './exact-json';
export {
  type PostgresQueryable,
  type PostgresTableOptions,
  postgresTableSink,
  postgresTableSource,
} from './postgres-table';
export { type ReconcileOptions, reconcile, reconcileDefaults } from './reconcile';
export { ReconcileErrorCode } from './reconcile-error-code';
export type { ReconcileProgress, ReconcileReport } from './reconcile-report';
export type { BucketSummary, ComparePlan, ReadProgress, ReconcileSide } from './reconcile-side';
export {
  type RedisReadClient,
  type RedisReadPipeline,
  type RedisSinkReadOptions,
  redisSink,
} from './redis-sink';
export { canonicalRow, rowDigest } from './row-digest';
export {
  type ScheduledReconcile,
  type ScheduledReconcileOptions,
  scheduleReconcile,
} from './schedule-reconcile';
export { type TopicSourceOptions, topicSource } from './topic-source';
