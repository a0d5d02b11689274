// What the demo's windows must come to, computed in one pass over the checkouts themselves (the
// "batch computation"), and the folding of the window results it is compared with.

export interface Checkout {
  readonly checkoutId: string;
  readonly customerId: string;
  /** Whole currency units, so sums are exact however they are grouped. */
  readonly amount: number;
  /** Event time, ms since the epoch. */
  readonly at: number;
}

/** A window's result as the windowing emits it (only what the folding needs). */
export interface WindowResultLike<TValue> {
  readonly type: 'result' | 'retraction';
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly revision: number;
  readonly value?: TValue;
}

/** `key@start@end`: how a window is named in the maps below. */
export function windowId(key: string, start: number, end: number): string {
  return `${key}@${start}@${end}`;
}

/**
 * Each window's latest revision, as an upserting reader downstream would keep it (a retraction
 * removes the window). Results may come in any order.
 */
export function latestValues<TValue>(outputs: Iterable<WindowResultLike<TValue>>): Map<string, TValue> {
  const latest = new Map<string, { revision: number; value: TValue | undefined }>();
  for (const output of outputs) {
    const id = windowId(output.key, output.start, output.end);
    const kept = latest.get(id);
    if (kept !== undefined && kept.revision >= output.revision) continue;
    latest.set(id, { revision: output.revision, value: output.type === 'result' ? output.value : undefined });
  }
  const values = new Map<string, TValue>();
  for (const [id, { value }] of latest) if (value !== undefined) values.set(id, value);
  return values;
}

/** Revenue per minute (window start → revenue) from the per-customer minute windows. */
export function rollUpByStart(perKey: ReadonlyMap<string, number>): Map<number, number> {
  const byStart = new Map<number, number>();
  for (const [id, value] of perKey) {
    const start = Number(id.split('@')[1]);
    byStart.set(start, (byStart.get(start) ?? 0) + value);
  }
  return byStart;
}

/** Revenue per minute (minute start → revenue) straight from the checkouts. */
export function batchRevenuePerMinute(checkouts: Iterable<Checkout>, sizeMs = 60_000): Map<number, number> {
  const byStart = new Map<number, number>();
  for (const { amount, at } of checkouts) {
    const start = Math.floor(at / sizeMs) * sizeMs;
    byStart.set(start, (byStart.get(start) ?? 0) + amount);
  }
  return byStart;
}

/**
 * Checkouts per customer in sliding windows, by the package README's rules: one window
 * `[u − size + 1, u + 1)` per distinct checkout time `u` of a customer, counting the customer's
 * checkouts in it, except that a late checkout is left out of the windows that had closed when it
 * came (`end + grace ≤` the watermark it was judged by) and makes no window of its own when its
 * own had closed. It still counts in the windows that were open, and in later ones.
 *
 * `late`: checkout id → the watermark the late checkout was judged by (from the side output).
 */
export function batchSlidingCounts(
  checkouts: Iterable<Checkout>,
  options: { readonly sizeMs: number; readonly graceMs: number; readonly late: ReadonlyMap<string, number> },
): Map<string, number> {
  const { sizeMs, graceMs, late } = options;
  const byCustomer = new Map<string, Checkout[]>();
  for (const checkout of checkouts) {
    const list = byCustomer.get(checkout.customerId) ?? [];
    list.push(checkout);
    byCustomer.set(checkout.customerId, list);
  }
  const missed = (checkout: Checkout, end: number) => {
    const watermark = late.get(checkout.checkoutId);
    return watermark !== undefined && end + graceMs <= watermark;
  };
  const counts = new Map<string, number>();
  for (const [customerId, list] of byCustomer) {
    for (const u of new Set(list.map(({ at }) => at))) {
      const start = u - sizeMs + 1;
      const end = u + 1;
      if (list.every((checkout) => checkout.at !== u || missed(checkout, end))) continue;
      const inWindow = list.filter(({ at }) => at >= start && at < end);
      counts.set(windowId(customerId, start, end), inWindow.filter((c) => !missed(c, end)).length);
    }
  }
  return counts;
}

/** Sliding windows (as in `batchSlidingCounts`) in which at least one late checkout counts. */
export function windowsCountingLate(
  checkouts: Iterable<Checkout>,
  options: { readonly sizeMs: number; readonly graceMs: number; readonly late: ReadonlyMap<string, number> },
): number {
  const all = [...checkouts];
  const onlyOnTime = batchSlidingCounts(
    all.filter(({ checkoutId }) => !options.late.has(checkoutId)),
    { ...options, late: new Map() },
  );
  let windows = 0;
  for (const [id, count] of batchSlidingCounts(all, options))
    if (count > (onlyOnTime.get(id) ?? 0)) windows++;
  return windows;
}

/** The keys of both maps are the same, each with the same value. */
export function sameEntries<TKey, TValue>(left: ReadonlyMap<TKey, TValue>, right: ReadonlyMap<TKey, TValue>) {
  if (left.size !== right.size) return false;
  for (const [key, value] of left) if (!right.has(key) || right.get(key) !== value) return false;
  return true;
}
