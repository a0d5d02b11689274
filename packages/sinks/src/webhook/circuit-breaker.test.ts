import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = () => new CircuitBreaker({ failureThreshold: 3, resetAfterMs: 1_000 });

  it('opens after the threshold of consecutive failures, not before', () => {
    const breaker = make();
    breaker.failed(false);
    breaker.failed(false);
    expect(breaker.state()).toBe('closed');
    expect(breaker.permit()).toEqual({ allowed: true, probe: false });
    breaker.failed(false);
    expect(breaker.state()).toBe('open');
    expect(breaker.permit()).toEqual({ allowed: false, retryInMs: 1_000 });
  });

  it('counts only consecutive failures', () => {
    const breaker = make();
    breaker.failed(false);
    breaker.failed(false);
    breaker.succeeded();
    breaker.failed(false);
    breaker.failed(false);
    expect(breaker.state()).toBe('closed');
    expect(breaker.failures).toBe(2);
  });

  it('lets one probe through once the reset time has passed, and closes when it succeeds', () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) breaker.failed(false);
    vi.advanceTimersByTime(400);
    expect(breaker.permit()).toEqual({ allowed: false, retryInMs: 600 });
    vi.advanceTimersByTime(600);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.permit()).toEqual({ allowed: true, probe: true });
    // While the probe is out, nobody else goes.
    expect(breaker.permit()).toMatchObject({ allowed: false });
    breaker.succeeded();
    expect(breaker.state()).toBe('closed');
    expect(breaker.permit()).toEqual({ allowed: true, probe: false });
  });

  it('opens again for another reset time when the probe fails', () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) breaker.failed(false);
    vi.advanceTimersByTime(1_000);
    expect(breaker.permit()).toEqual({ allowed: true, probe: true });
    vi.advanceTimersByTime(250);
    breaker.failed(true);
    expect(breaker.state()).toBe('open');
    expect(breaker.permit()).toEqual({ allowed: false, retryInMs: 1_000 });
    vi.advanceTimersByTime(1_000);
    expect(breaker.permit()).toEqual({ allowed: true, probe: true });
  });

  it('is not held open longer by requests that were in flight when it opened', () => {
    const breaker = make();
    for (let i = 0; i < 3; i += 1) breaker.failed(false);
    vi.advanceTimersByTime(900);
    breaker.failed(false);
    vi.advanceTimersByTime(100);
    expect(breaker.state()).toBe('half-open');
  });

  it('tells waiters when its state changes', async () => {
    const breaker = make();
    const opened = breaker.changed();
    for (let i = 0; i < 3; i += 1) breaker.failed(false);
    await expect(opened).resolves.toBeUndefined();
    const closed = breaker.changed();
    let settled = false;
    void closed.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1_000);
    breaker.permit();
    breaker.succeeded();
    await closed;
    expect(settled).toBe(true);
  });
});
