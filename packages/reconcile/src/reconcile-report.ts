/** What a reconciliation found: JSON-serialisable (keys are strings, counts numbers). */
export interface ReconcileReport {
  /** The source's description (`postgres:orders`, `topic:orders`). */
  readonly source: string;
  /** The sink's description. */
  readonly sink: string;
  /** How many buckets were compared (non-empty on either side), and how many differed. */
  readonly buckets: { readonly total: number; readonly differing: number };
  /** Rows on each side, exact. */
  readonly rows: { readonly source: number; readonly sink: number };
  /** Keys in the source and not in the sink, at most `maxKeys`, sorted. */
  readonly missing: readonly string[];
  /** Keys in the sink and not in the source, at most `maxKeys`, sorted. */
  readonly extra: readonly string[];
  /** Keys on both sides whose compared columns differ, at most `maxKeys`, sorted. */
  readonly changed: readonly string[];
  /** The exact number of missing, extra and changed keys (the lists may be cut at `maxKeys`). */
  readonly totals: { readonly missing: number; readonly extra: number; readonly changed: number };
  /** True when a list was cut at `maxKeys`. */
  readonly truncated: boolean;
  /** The compared columns, sorted. */
  readonly columns: readonly string[];
  /** True when nothing differs. */
  readonly matched: boolean;
  readonly tookMs: number;
}

/** Where a run is: `summarising` both sides' buckets (total 2), then `narrowing` the differing buckets to keys. */
export interface ReconcileProgress {
  readonly phase: 'reading' | 'summarising' | 'narrowing';
  /**
   * Steps done of `total` in this phase: offsets read of a side that reads a topic first (a
   * `topicSource`), sides summarised, or differing buckets narrowed.
   */
  readonly done: number;
  readonly total: number;
  /** Differing buckets found so far (known after summarising). */
  readonly differingBuckets: number;
  readonly elapsedMs: number;
}
