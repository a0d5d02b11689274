import type { Checkout } from './windows-batch';

/** The checkouts in sending order: on-time stretches, each but the last followed by late ones. */
export interface CheckoutPlan {
  readonly stretches: readonly {
    readonly onTime: readonly Checkout[];
    readonly late: readonly Checkout[];
  }[];
  /** Indexes, among the on-time checkouts in sending order, of those sent twice. */
  readonly duplicated: ReadonlySet<number>;
}

export interface CheckoutPlanOptions {
  readonly total?: number;
  readonly customers?: number;
}

const minuteMs = 60_000;
const lateCount = 8;
/** Where the stream is when late checkouts are sent: after these shares of it. */
const lateAfter = [0.3, 0.5, 0.7, 0.9];

/** A small deterministic generator, so every run tells the same story. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * `total` checkouts (default 600) of `customers` customers (default 40), in event-time order one
 * every two seconds or so over twenty minutes ending ten minutes before `now`, plus 8 late ones: two
 * after each stretch ending at 30, 50, 70 and 90 % of the stream, 3–5 minutes behind it. A few
 * are sent twice.
 */
export function planCheckouts(now: number, options: CheckoutPlanOptions = {}): CheckoutPlan {
  const customers = options.customers ?? 40;
  const onTimeCount = (options.total ?? 600) - lateCount;
  const random = seeded(7);
  const end = now - 10 * minuteMs;
  const stepMs = Math.floor((20 * minuteMs) / onTimeCount);
  const start = end - onTimeCount * stepMs;
  let sequence = 0;
  const checkout = (at: number): Checkout => ({
    checkoutId: `checkout-${String(++sequence).padStart(4, '0')}`,
    customerId: `customer-${String(Math.floor(random() * customers)).padStart(2, '0')}`,
    amount: 5 + Math.floor(random() * 196),
    at,
  });
  // Strictly increasing: each in its own step, anywhere in it.
  const onTime = Array.from({ length: onTimeCount }, (_, index) =>
    checkout(start + index * stepMs + Math.floor(random() * stepMs)),
  );
  const cuts = lateAfter.map((share) => Math.round(share * onTimeCount));
  const stretches = [0, ...cuts].map((from, index) => {
    const stretch = onTime.slice(from, cuts[index] ?? onTimeCount);
    const streamAt = (stretch.at(-1) as Checkout).at;
    const behind = () => 3 * minuteMs + Math.floor(random() * 2 * minuteMs);
    const late = index < cuts.length ? [checkout(streamAt - behind()), checkout(streamAt - behind())] : [];
    return { onTime: stretch, late };
  });
  // None in the last stretch: a partition whose last record is a duplicate (skipped before the
  // windows see it) never counts as read to its end, so the quiet-stream rule would never close
  // the last windows (a bug of @inlet/windowing, worked around here).
  const lastCut = cuts.at(-1) as number;
  const duplicated = new Set(
    onTime.flatMap((_, index) => (index % 75 === 40 && index < lastCut ? [index] : [])),
  );
  return { stretches, duplicated };
}
