import { describe, expect, it } from 'vitest';
import { InFlightLimits } from './in-flight-limits';

function limits() {
  const calls: string[] = [];
  const limit = new InFlightLimits({
    maxEvents: 10,
    maxBytes: 1_000,
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  });
  return { limit, calls };
}

describe('InFlightLimits', () => {
  it('pauses above a limit and resumes only below half of both', () => {
    const { limit, calls } = limits();
    limit.add(10, 100);
    expect(calls).toEqual([]);
    limit.add(1, 100);
    expect(calls).toEqual(['pause']);
    limit.add(5, 100);
    expect(calls).toEqual(['pause']);
    limit.release(10, 200);
    expect(calls).toEqual(['pause']);
    limit.release(1, 0);
    expect(calls).toEqual(['pause', 'resume']);
    expect([limit.events, limit.bytes]).toEqual([5, 100]);
  });

  it('pauses on bytes alone', () => {
    const { limit, calls } = limits();
    limit.add(1, 1_001);
    expect(calls).toEqual(['pause']);
  });

  it('holds a batch while over the limits, heartbeating, and lets it go when there is room', async () => {
    const { limit } = limits();
    limit.add(11, 0);
    let beats = 0;
    let released = false;
    const heartbeat = async () => {
      beats += 1;
    };
    const waiting = limit.waitForRoom({ heartbeat, isStale: () => false }).then(() => {
      released = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(released).toBe(false);
    limit.release(1, 0);
    await waiting;
    expect(released).toBe(true);
    expect(beats).toBe(1);
  });

  it('stops holding and resuming once stopped', async () => {
    const { limit, calls } = limits();
    limit.add(11, 0);
    const waiting = limit.waitForRoom({ heartbeat: async () => undefined, isStale: () => false });
    limit.stop();
    await waiting;
    limit.release(11, 0);
    expect(calls).toEqual(['pause']);
  });
});
