import type { TopicPartition } from '@inlet/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PartitionPauses } from './partition-pauses';

describe('PartitionPauses', () => {
  const calls: string[] = [];
  const target = {
    pause: ({ topic, partition }: TopicPartition) => calls.push(`pause ${topic}/${partition}`),
    resume: ({ topic, partition }: TopicPartition) => calls.push(`resume ${topic}/${partition}`),
  };
  beforeEach(() => {
    calls.length = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('reports what the user paused, sorted', () => {
    const pauses = new PartitionPauses(target);
    pauses.pause([
      { topic: 'b', partition: 0 },
      { topic: 'a', partition: 2 },
      { topic: 'a', partition: 1 },
    ]);
    expect(pauses.paused()).toEqual([
      { topic: 'a', partition: 1 },
      { topic: 'a', partition: 2 },
      { topic: 'b', partition: 0 },
    ]);
  });

  it('resumes a backed-off partition after the delay unless the user paused it meanwhile', () => {
    const pauses = new PartitionPauses(target);
    pauses.backOff({ topic: 't', partition: 0 }, 100);
    pauses.backOff({ topic: 't', partition: 1 }, 100);
    pauses.pause([{ topic: 't', partition: 1 }]);
    vi.advanceTimersByTime(100);
    expect(calls).toEqual(['pause t/0', 'pause t/1', 'pause t/1', 'resume t/0']);
    expect(pauses.paused()).toEqual([{ topic: 't', partition: 1 }]);
  });

  it('keeps a backed-off partition paused when the user resumes it early', () => {
    const pauses = new PartitionPauses(target);
    pauses.pause([{ topic: 't', partition: 0 }]);
    pauses.backOff({ topic: 't', partition: 0 }, 100);
    pauses.resume([{ topic: 't', partition: 0 }]);
    expect(calls).toEqual(['pause t/0', 'pause t/0']);
    vi.advanceTimersByTime(100);
    expect(calls.at(-1)).toBe('resume t/0');
  });

  it('pauses everything again on reapply, and clear stops pending resumes', () => {
    const pauses = new PartitionPauses(target);
    pauses.pause([{ topic: 't', partition: 0 }]);
    pauses.backOff({ topic: 't', partition: 1 }, 100);
    calls.length = 0;
    pauses.reapply();
    expect(calls).toEqual(['pause t/0', 'pause t/1']);
    pauses.clear();
    vi.advanceTimersByTime(1_000);
    expect(calls).toEqual(['pause t/0', 'pause t/1']);
  });
});
