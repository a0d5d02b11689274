import { describe, expect, it } from 'vitest';
import { backoffDelayMs, sleep } from './backoff';

describe('backoffDelayMs', () => {
  const bounds = { minDelayMs: 100, maxDelayMs: 1_000 };
  it('doubles from the minimum up to the maximum', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 50].map((retry) => backoffDelayMs(retry, bounds, middle))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });
  it('spreads delays by a fifth either way', () => {
    expect(backoffDelayMs(1, bounds, () => 0)).toBe(80);
    expect(backoffDelayMs(1, bounds, () => 0.999999)).toBe(120);
  });
});

describe('sleep', () => {
  it('ends early when its signal fires', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleep(10_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
