import type { KafkaTransport } from '@inlet/core';
import { expect, it } from 'vitest';
import { createMonitor } from './monitor';

/** A transport whose admin answers offsets (nothing behind) once `release` is called for each read. */
function heldTransport() {
  const waiting: (() => void)[] = [];
  const transport = {
    consumer: () => {
      throw new Error('no consumer needed: nothing is behind');
    },
    admin: () => ({
      connect: async () => undefined,
      topicOffsets: async () => {
        await new Promise<void>((resolve) => waiting.push(resolve));
        return [{ partition: 0, low: '0', high: '10' }];
      },
      groupOffsets: async () => [{ partition: 0, offset: '10' }],
      close: async () => undefined,
    }),
  } as unknown as KafkaTransport;
  return {
    transport,
    /** Lets the next offsets read answer; false when none comes within a second. */
    async releaseNext(): Promise<boolean> {
      for (let waited = 0; waiting.length === 0; waited++) {
        if (waited > 1_000) return false;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      waiting.shift()?.();
      return true;
    },
  };
}

it('answers sample() with a reading that began after the call, also while another is in flight', async () => {
  let clock = 1_000;
  const { transport, releaseNext } = heldTransport();
  const monitor = createMonitor({
    transport,
    flows: [{ name: 'orders', groupId: 'orders-group', topics: ['orders'] }],
    sampleIntervalMs: 3_600_000,
    now: () => clock,
  });
  try {
    const first = monitor.sample();
    // Called while the first reads: they must not be answered with the first's figures.
    const second = monitor.sample();
    const third = monitor.sample();
    clock = 2_000;
    expect(await releaseNext()).toBe(true);
    expect((await first).flows[0]?.history.map((sample) => sample.at)).toEqual([2_000]);
    clock = 3_000;
    expect(await releaseNext()).toBe(true);
    const [secondSnapshot, thirdSnapshot] = await Promise.all([second, third]);
    expect(secondSnapshot.flows[0]?.history.map((sample) => sample.at)).toEqual([2_000, 3_000]);
    // Calls made while one reads share the reading after it.
    expect(thirdSnapshot).toBe(secondSnapshot);
  } finally {
    await monitor.close();
  }
});
