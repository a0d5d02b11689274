import { keyBucket } from './row-digest';

/** Rows grouped by a hash of their key into `count` buckets. */
export interface KeyBuckets {
  readonly kind: 'key';
  /** How many buckets. Default 1024. */
  readonly count: number;
}

/** Rows grouped by a time column into windows of `widthMs`; a row whose time is null goes to bucket -1. */
export interface TimeBuckets {
  readonly kind: 'time';
  /** The column holding the row's time (a timestamp, or an ISO 8601 string, or epoch milliseconds). */
  readonly column: string;
  readonly widthMs: number;
}

/** How rows are grouped into buckets before comparing counts and checksums. */
export type Bucketing = KeyBuckets | TimeBuckets;

export const defaultBucketCount = 1024;

export const nullTimeBucket = -1;

function timeMillis(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** The bucket of a row read into memory; the SQL side computes the same on the server. */
export function bucketOf(bucketing: Bucketing, key: string, row: Readonly<Record<string, unknown>>): number {
  if (bucketing.kind === 'key') return keyBucket(key, bucketing.count);
  const millis = timeMillis(row[bucketing.column]);
  return millis === undefined ? nullTimeBucket : Math.floor(millis / bucketing.widthMs);
}
