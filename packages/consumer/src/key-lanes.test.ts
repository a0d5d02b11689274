import { describe, expect, it } from 'vitest';
import { KeyLanes } from './key-lanes';

/** An item's lane: `a2` is in lane `a`, `k7#1` in lane `k7`. */
function laneOf(item: string): string {
  return item.includes('#') ? (item.split('#')[0] as string) : item.replace(/\d+$/, '');
}

/** Lanes whose items run until the test finishes them, recording the order they started in. */
function controlledLanes(maxConcurrency: number) {
  const started: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const lanes = new KeyLanes<string>(maxConcurrency, laneOf, (item) => {
    started.push(item);
    return new Promise<string>((resolve, reject) =>
      pending.set(item, { resolve: () => resolve(item), reject }),
    );
  });
  // An item's end reaches the lanes through a promise reaction; let those run.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    lanes,
    started,
    async finish(item: string) {
      const running = pending.get(item);
      if (running === undefined) throw new Error(`${item} is not running`);
      pending.delete(item);
      running.resolve();
      await settle();
    },
    async fail(item: string) {
      const running = pending.get(item);
      if (running === undefined) throw new Error(`${item} is not running`);
      pending.delete(item);
      running.reject(new Error(`${item} failed`));
      await settle();
    },
  };
}

/** Resolves to whether `promise` settled within a turn of the event loop. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return settled;
}

describe('KeyLanes', () => {
  it('runs the items of one lane one at a time, in the order they were pushed', async () => {
    const { lanes, started, finish } = controlledLanes(10);
    lanes.push('a1');
    lanes.push('a2');
    lanes.push('a3');
    expect(started).toEqual(['a1']);
    expect(lanes.running).toBe(1);
    expect(lanes.queued).toBe(2);
    await finish('a1');
    expect(started).toEqual(['a1', 'a2']);
    await finish('a2');
    await finish('a3');
    expect(started).toEqual(['a1', 'a2', 'a3']);
    expect(lanes.running).toBe(0);
    expect(lanes.queued).toBe(0);
  });

  it('runs different lanes at once, never more than the limit', async () => {
    const { lanes, started, finish } = controlledLanes(2);
    for (const key of ['a', 'b', 'c', 'd']) lanes.push(key);
    expect(started).toEqual(['a', 'b']);
    expect(lanes.running).toBe(2);
    expect(lanes.queued).toBe(2);
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    expect(lanes.running).toBe(2);
    await finish('a');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(lanes.running).toBe(2);
  });

  it('sends a lane with more to do to the back, so a busy key does not starve the others', async () => {
    const { lanes, started, finish } = controlledLanes(1);
    lanes.push('busy1');
    lanes.push('busy2');
    lanes.push('busy3');
    lanes.push('b1');
    lanes.push('c1');
    for (const item of ['busy1', 'b1', 'c1', 'busy2', 'busy3']) await finish(item);
    expect(started).toEqual(['busy1', 'b1', 'c1', 'busy2', 'busy3']);
  });

  it('frees the lane of an item that failed and runs the next one', async () => {
    const { lanes, started, fail, finish } = controlledLanes(1);
    lanes.push('a1');
    lanes.push('a2');
    await fail('a1');
    expect(started).toEqual(['a1', 'a2']);
    await finish('a2');
    expect(lanes.running).toBe(0);
    await expect(lanes.idle()).resolves.toBeUndefined();
  });

  it('drop removes only the queued items that match, and leaves running ones alone', async () => {
    const { lanes, started, finish } = controlledLanes(1);
    lanes.push('a1');
    lanes.push('a2');
    lanes.push('a3');
    lanes.push('b1');
    // a1 is running and matches: it is not dropped (it cannot be).
    expect(lanes.drop((item) => item !== 'a3')).toEqual(['a2', 'b1']);
    expect(lanes.queued).toBe(1);
    expect([...lanes.runningItems()]).toEqual(['a1']);
    await finish('a1');
    await finish('a3');
    expect(started).toEqual(['a1', 'a3']);
  });

  it('runs items pushed to a lane after its whole queue was dropped', async () => {
    const { lanes, started, finish } = controlledLanes(1);
    lanes.push('a1');
    lanes.push('b1');
    lanes.push('b2');
    expect(lanes.drop((item) => item.startsWith('b'))).toEqual(['b1', 'b2']);
    lanes.push('b3');
    await finish('a1');
    expect(started).toEqual(['a1', 'b3']);
    await finish('b3');
    await expect(settledSoon(lanes.idle())).resolves.toBe(true);
  });

  it('resolves idle() once a drop leaves nothing queued and nothing runs', async () => {
    const lanes = new KeyLanes<string>(1, laneOf, (item) => Promise.resolve(item));
    lanes.drop(() => true);
    await expect(settledSoon(lanes.idle())).resolves.toBe(true);
  });

  it('stop drops everything queued, starts nothing more and lets running items finish', async () => {
    const { lanes, started, finish } = controlledLanes(2);
    lanes.push('a1');
    lanes.push('a2');
    lanes.push('b1');
    lanes.push('c1');
    expect(lanes.stop().sort()).toEqual(['a2', 'c1']);
    expect(lanes.queued).toBe(0);
    expect(lanes.push('d1')).toBe(false);
    expect(lanes.queued).toBe(0);
    const idle = lanes.idle();
    await finish('a1');
    expect(await settledSoon(idle)).toBe(false);
    await finish('b1');
    expect(await settledSoon(idle)).toBe(true);
    // Neither a freed slot nor a pushed item started anything after the stop.
    expect(started).toEqual(['a1', 'b1']);
  });

  it('idle() resolves at once when nothing is queued or running, and otherwise when all is done', async () => {
    const { lanes, finish } = controlledLanes(1);
    await expect(settledSoon(lanes.idle())).resolves.toBe(true);
    lanes.push('a1');
    lanes.push('b1');
    const idle = lanes.idle();
    await finish('a1');
    expect(await settledSoon(idle)).toBe(false);
    await finish('b1');
    expect(await settledSoon(idle)).toBe(true);
  });

  it('runningItems() lists the items running now', async () => {
    const { lanes, finish } = controlledLanes(2);
    expect([...lanes.runningItems()]).toEqual([]);
    lanes.push('a1');
    lanes.push('a2');
    lanes.push('b1');
    expect([...lanes.runningItems()].sort()).toEqual(['a1', 'b1']);
    await finish('a1');
    expect([...lanes.runningItems()].sort()).toEqual(['a2', 'b1']);
  });

  it('keeps the order and the fairness over thousands of lanes (its ready queue is compacted)', async () => {
    const started: string[] = [];
    const lanes = new KeyLanes<string>(3, laneOf, async (item) => {
      started.push(item);
      return item;
    });
    for (let index = 0; index < 5_000; index += 1)
      lanes.push(`k${index % 2_500}#${Math.floor(index / 2_500)}`);
    await lanes.idle();
    expect(started).toHaveLength(5_000);
    // Every lane's first item before any lane's second: a lane with more waits its turn.
    expect(started.slice(0, 2_500).every((item) => item.endsWith('#0'))).toBe(true);
    // Within each lane, push order.
    const perLane = new Map<string, string[]>();
    for (const item of started) {
      const lane = item.split('#')[0] as string;
      perLane.set(lane, [...(perLane.get(lane) ?? []), item]);
    }
    for (const [lane, items] of perLane) expect(items).toEqual([`${lane}#0`, `${lane}#1`]);
    expect(lanes.queued).toBe(0);
    expect(lanes.running).toBe(0);
  });
});
