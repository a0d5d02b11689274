import { expect, it } from 'vitest';
import { planCheckouts } from './checkout-plan';

const now = Date.UTC(2026, 11, 1, 12);
const minuteMs = 60_000;

it('spreads on-time checkouts in event-time order over twenty minutes ending ten minutes ago', () => {
  const plan = planCheckouts(now);
  const onTime = plan.stretches.flatMap((stretch) => stretch.onTime);
  expect(onTime).toHaveLength(592);
  for (let index = 1; index < onTime.length; index++)
    expect(onTime[index]?.at).toBeGreaterThan(onTime[index - 1]?.at as number);
  expect(onTime[0]?.at).toBeGreaterThanOrEqual(now - 30 * minuteMs);
  expect(onTime.at(-1)?.at).toBeLessThanOrEqual(now - 10 * minuteMs);
  expect(new Set(onTime.map(({ customerId }) => customerId)).size).toBe(40);
  const ids = plan.stretches.flatMap(({ onTime, late }) => [...onTime, ...late]).map((c) => c.checkoutId);
  expect(new Set(ids).size).toBe(600);
});

it('sends two late checkouts after each stretch but the last, 3–5 minutes behind the stream', () => {
  const plan = planCheckouts(now);
  expect(plan.stretches.map(({ late }) => late.length)).toEqual([2, 2, 2, 2, 0]);
  for (const { onTime, late } of plan.stretches) {
    const streamAt = onTime.at(-1)?.at as number;
    for (const { at } of late) {
      expect(streamAt - at).toBeGreaterThanOrEqual(3 * minuteMs);
      expect(streamAt - at).toBeLessThan(5 * minuteMs);
    }
  }
});

it('duplicates a few checkouts, none in the last stretch', () => {
  const plan = planCheckouts(now);
  const lastFrom = plan.stretches.slice(0, -1).reduce((total, { onTime }) => total + onTime.length, 0);
  expect(plan.duplicated.size).toBeGreaterThanOrEqual(5);
  for (const index of plan.duplicated) expect(index).toBeLessThan(lastFrom);
});

it('tells the same story every run, at the size asked for', () => {
  expect(planCheckouts(now)).toEqual(planCheckouts(now));
  const small = planCheckouts(now, { total: 100, customers: 5 });
  const all = small.stretches.flatMap(({ onTime, late }) => [...onTime, ...late]);
  expect(all).toHaveLength(100);
  expect(new Set(all.map(({ customerId }) => customerId)).size).toBe(5);
});
