import { InletError, InletErrorCode } from '@inlet/core';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createPeriodicSampler } from './periodic-sampler';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

it('reads every intervalMs after the reading before ended, goes on after a failure, and stops at close', async () => {
  const reads: number[] = [];
  const errors: unknown[] = [];
  let fail = false;
  const sampler = createPeriodicSampler({
    subject: 'test sampler',
    intervalMs: 1_000,
    onError: (error) => errors.push(error),
    read: async () => {
      reads.push(Date.now());
      if (fail) throw new Error('broker away');
      return reads.length;
    },
  });
  const start = Date.now();
  await vi.advanceTimersByTimeAsync(999);
  expect(reads).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(reads).toEqual([start + 1_000]);
  fail = true;
  await vi.advanceTimersByTimeAsync(1_000);
  expect(errors).toHaveLength(1);
  fail = false;
  await vi.advanceTimersByTimeAsync(1_000);
  expect(reads).toEqual([start + 1_000, start + 2_000, start + 3_000]);
  await sampler.close();
  await vi.advanceTimersByTimeAsync(5_000);
  expect(reads).toHaveLength(3);
  await expect(sampler.sample()).rejects.toSatisfy(
    (error) => InletError.is(error) && error.code === InletErrorCode.closed,
  );
});

it('close() fires the reading in flight its signal and waits for it', async () => {
  let seen: AbortSignal | undefined;
  let finished = false;
  const sampler = createPeriodicSampler({
    subject: 'test sampler',
    intervalMs: 60_000,
    read: (signal) =>
      new Promise<number>((resolve) => {
        seen = signal;
        signal.addEventListener('abort', () => {
          setTimeout(() => {
            finished = true;
            resolve(1);
          }, 10);
        });
      }),
  });
  const reading = sampler.sample();
  const closed = sampler.close();
  expect(seen?.aborted).toBe(true);
  await vi.advanceTimersByTimeAsync(10);
  await closed;
  expect(finished).toBe(true);
  await expect(reading).resolves.toBe(1);
});

it('stops when its signal is aborted', async () => {
  const controller = new AbortController();
  const read = vi.fn(async () => 1);
  createPeriodicSampler({ subject: 'test sampler', intervalMs: 100, read, signal: controller.signal });
  await vi.advanceTimersByTimeAsync(100);
  controller.abort();
  await vi.advanceTimersByTimeAsync(1_000);
  expect(read).toHaveBeenCalledTimes(1);
});
