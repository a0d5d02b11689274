import { describe, expect, it } from 'vitest';
import { ExpiredMarkPurge } from './expired-mark-purge';

function setup(deletes: (limit: number) => Promise<number>) {
  let now = 1_000_000;
  const limits: number[] = [];
  const purge = new ExpiredMarkPurge({
    intervalMs: 60_000,
    batchSize: 100,
    now: () => now,
    purge: (limit) => {
      limits.push(limit);
      return deletes(limit);
    },
  });
  return {
    purge,
    limits,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('ExpiredMarkPurge', () => {
  it('purges on the first mark, then at most once an interval', async () => {
    const { purge, limits, advance } = setup(async () => 3);
    await purge.startIfDue();
    expect(limits).toEqual([100]);
    advance(59_999);
    expect(purge.startIfDue()).toBeUndefined();
    advance(1);
    await purge.startIfDue();
    expect(limits).toEqual([100, 100]);
  });

  it('runs one purge at a time', async () => {
    let finish!: (deleted: number) => void;
    const { purge, limits, advance } = setup(
      () =>
        new Promise<number>((resolve) => {
          finish = resolve;
        }),
    );
    const running = purge.startIfDue();
    advance(120_000);
    expect(purge.startIfDue()).toBeUndefined();
    finish(0);
    await running;
    expect(limits).toHaveLength(1);
  });

  it('purges again at the next mark when a purge filled its batch', async () => {
    const { purge, limits } = setup(async (limit) => limit);
    await purge.startIfDue();
    await purge.startIfDue();
    expect(limits).toEqual([100, 100]);
  });

  it('waits an interval after a failed purge, and never rejects', async () => {
    const { purge, limits, advance } = setup(async () => {
      throw new Error('connection refused');
    });
    await expect(purge.startIfDue()).resolves.toBeUndefined();
    expect(purge.startIfDue()).toBeUndefined();
    advance(60_000);
    await purge.startIfDue();
    expect(limits).toHaveLength(2);
  });
});
