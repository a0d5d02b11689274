import { bucketOf } from './bucketing';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';
import type { BucketSummary, ComparePlan } from './reconcile-side';
import { addDigest, rowDigest } from './row-digest';

/** A row read into memory: its key (as `entityKeyId` spells it) and its values by column. */
export interface KeyedRow {
  readonly key: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** Rows held in memory, digested once per plan: what the sides without SQL on their data compare with. */
export class DigestedRows {
  readonly #rows: readonly KeyedRow[];
  #digested: { readonly key: string; readonly bucket: number; readonly digest: bigint }[] | undefined;

  constructor(rows: readonly KeyedRow[]) {
    this.#rows = rows;
  }

  /** The union of the rows' columns, sorted. */
  columns(): string[] {
    const names = new Set<string>();
    for (const row of this.#rows) for (const name of Object.keys(row.values)) names.add(name);
    return [...names].sort();
  }

  #digest(plan: ComparePlan) {
    if (this.#digested !== undefined) return this.#digested;
    this.#digested = this.#rows.map(({ key, values }) => ({
      key,
      bucket: bucketOf(plan.bucketing, key, values),
      digest: rowDigest(key, plan.columns, values),
    }));
    return this.#digested;
  }

  summarise(plan: ComparePlan): Map<number, BucketSummary> {
    const summaries = new Map<number, { rows: number; checksum: bigint }>();
    for (const { bucket, digest } of this.#digest(plan)) {
      const summary = summaries.get(bucket);
      if (summary === undefined) summaries.set(bucket, { rows: 1, checksum: addDigest(0n, digest) });
      else {
        summary.rows += 1;
        summary.checksum = addDigest(summary.checksum, digest);
      }
    }
    return summaries;
  }

  digestsIn(plan: ComparePlan, buckets: readonly number[]): Map<string, bigint> {
    const wanted = new Set(buckets);
    const digests = new Map<string, bigint>();
    for (const { key, bucket, digest } of this.#digest(plan))
      if (wanted.has(bucket)) {
        if (digests.has(key))
          throw reconcileError(
            ReconcileErrorCode.unreadableValue,
            `key "${key}" occurs twice: a keyed side holds one row per key`,
          );
        digests.set(key, digest);
      }
    return digests;
  }
}
