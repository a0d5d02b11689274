import { partitionForKey } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import {
  closingKeys,
  expectedWindowCounts,
  windowCountMismatches,
  windowedOrdersTimeline,
} from './windowed-orders';

const minute = 60_000;
const plan = {
  events: 5_000,
  keys: 1_000,
  spanMs: 5 * minute,
  startMs: 1_800_000_000_000 - (1_800_000_000_000 % minute),
  partitions: 3,
  windowSizeMs: minute,
  graceMs: 2_000,
};

describe('closingKeys', () => {
  it('finds a key that Kafka places on each partition', () => {
    const keys = closingKeys(5);
    expect(keys.map((key) => partitionForKey(Buffer.from(key), 5))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('windowedOrdersTimeline', () => {
  const timeline = windowedOrdersTimeline(plan);

  it('spreads the events over the span in event-time order, over the given keys', () => {
    const times = timeline.events.map((event) => event.eventTimeMs);
    expect(times).toHaveLength(plan.events);
    expect(times.every((time, index) => index === 0 || time >= (times[index - 1] as number))).toBe(true);
    expect(times[0]).toBe(plan.startMs);
    expect(Math.max(...times)).toBeLessThan(plan.startMs + plan.spanMs);
    const keys = new Set(timeline.events.map((event) => event.key));
    expect(keys.size).toBeGreaterThan(plan.keys / 2);
    expect(keys.size).toBeLessThanOrEqual(plan.keys);
  });

  it('is the same every time', () => {
    expect(windowedOrdersTimeline(plan)).toEqual(timeline);
  });

  it('ends with one closer per partition at the instant the last window closes', () => {
    const lastWindowEnd = plan.startMs + plan.spanMs;
    expect(timeline.closers.map((closer) => partitionForKey(Buffer.from(closer.key), 3))).toEqual([0, 1, 2]);
    for (const closer of timeline.closers) expect(closer.eventTimeMs).toBe(lastWindowEnd + plan.graceMs);
  });
});

describe('expectedWindowCounts', () => {
  it('counts each key in epoch-aligned tumbling windows', () => {
    const counts = expectedWindowCounts(
      [
        { key: 'a', eventTimeMs: 0 },
        { key: 'a', eventTimeMs: minute - 1 },
        { key: 'b', eventTimeMs: minute - 1 },
        { key: 'a', eventTimeMs: minute },
      ],
      minute,
    );
    expect(Object.fromEntries(counts)).toEqual({ 'a@0': 2, 'b@0': 1, [`a@${minute}`]: 1 });
  });

  it('counts every event once', () => {
    const counts = expectedWindowCounts(windowedOrdersTimeline(plan).events, minute);
    expect([...counts.values()].reduce((sum, count) => sum + count, 0)).toBe(plan.events);
  });
});

describe('windowCountMismatches', () => {
  it('names windows counted wrongly, missing or not expected', () => {
    const expected = new Map([
      ['a@0', 2],
      ['b@0', 1],
      ['c@0', 1],
    ]);
    const written = new Map([
      ['a@0', 2],
      ['b@0', 3],
      ['d@0', 1],
    ]);
    expect(windowCountMismatches(expected, written)).toEqual([
      'b@0: expected 1, written 3',
      'c@0: expected 1, written nothing',
      'd@0: not expected, written 1',
    ]);
    expect(windowCountMismatches(expected, new Map(expected))).toEqual([]);
  });
});
