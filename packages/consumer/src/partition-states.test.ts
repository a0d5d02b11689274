import { InletError, InletErrorCode } from '@inlet/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PartitionStates } from './partition-states';
import { partitionKeyOf } from './work-item';

const drainTimeoutMs = 1_000;

function statesOf() {
  const closing = new AbortController();
  return { closing, states: new PartitionStates(closing.signal, drainTimeoutMs) };
}

const keysOf = (list: readonly { readonly key: string }[]) => list.map(({ key }) => key).sort();

describe('PartitionStates', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts a new epoch with every assignment', () => {
    const { states } = statesOf();
    expect(states.epoch).toBe(0);
    states.assign([{ topic: 't', partition: 0 }]);
    expect(states.epoch).toBe(1);
    states.assign([{ topic: 't', partition: 0 }]);
    states.assign([]);
    expect(states.epoch).toBe(3);
  });

  it('returns the newly owned partitions, each once, with a fresh state', () => {
    const { states } = statesOf();
    const first = states.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    expect(keysOf(first.added)).toEqual([partitionKeyOf('t', 0), partitionKeyOf('t', 1)]);
    expect(first.revoked).toEqual([]);
    const added = first.added[0];
    expect(added?.tracker.committable()).toBeUndefined();
    expect(added?.lastCommitted).toBeUndefined();
    expect(added?.signal.aborted).toBe(false);
    const second = states.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
      { topic: 'u', partition: 0 },
    ]);
    expect(keysOf(second.added)).toEqual([partitionKeyOf('u', 0)]);
    expect(states.get(partitionKeyOf('u', 0))).toBe(second.added[0]);
  });

  it('forgets what a kept partition tracked (it is delivered again), keeping its signal', () => {
    const { states } = statesOf();
    states.assign([{ topic: 't', partition: 0 }]);
    const state = states.stateFor('t', 0);
    state.tracker.add(5);
    state.lastCommitted = 5;
    state.progressOffset = 5;
    state.stalledSince = Date.now();
    const oldTracker = state.tracker;
    vi.advanceTimersByTime(10_000);
    const { revoked, added } = states.assign([{ topic: 't', partition: 0 }]);
    expect(revoked).toEqual([]);
    expect(added).toEqual([]);
    expect(states.get(partitionKeyOf('t', 0))).toBe(state);
    expect(state.tracker).not.toBe(oldTracker);
    expect(state.tracker.committable()).toBeUndefined();
    expect(state.lastCommitted).toBeUndefined();
    expect(state.progressOffset).toBeUndefined();
    expect(state.stalledSince).toBeUndefined();
    expect(state.progressAt).toBe(Date.now());
    vi.advanceTimersByTime(drainTimeoutMs * 2);
    expect(state.signal.aborted).toBe(false);
  });

  it('returns revoked partitions and fires their signal only after the drain timeout', () => {
    const { states } = statesOf();
    states.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    const kept = states.stateFor('t', 0);
    const { revoked } = states.assign([{ topic: 't', partition: 0 }]);
    expect(keysOf(revoked)).toEqual([partitionKeyOf('t', 1)]);
    const gone = revoked[0];
    expect(states.get(partitionKeyOf('t', 1))).toBeUndefined();
    expect([...states.values()]).toEqual([kept]);
    vi.advanceTimersByTime(drainTimeoutMs - 1);
    expect(gone?.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(gone?.signal.aborted).toBe(true);
    expect(InletError.hasCode(gone?.signal.reason, InletErrorCode.closed)).toBe(true);
    expect(kept.signal.aborted).toBe(false);
  });

  it('gives a partition owned again before the drain timeout a new state the old timer does not abort', () => {
    const { states } = statesOf();
    states.assign([{ topic: 't', partition: 0 }]);
    const before = states.stateFor('t', 0);
    states.assign([]);
    const { added } = states.assign([{ topic: 't', partition: 0 }]);
    const after = added[0];
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    vi.advanceTimersByTime(drainTimeoutMs);
    expect(before.signal.aborted).toBe(true);
    expect(after?.signal.aborted).toBe(false);
  });

  it('fires every partition signal when the consumer closes', () => {
    const { states, closing } = statesOf();
    states.assign([{ topic: 't', partition: 0 }]);
    const state = states.stateFor('t', 0);
    closing.abort(new Error('closing'));
    expect(state.signal.aborted).toBe(true);
  });

  it('signalFor gives the partition signal, or the closing signal once the partition is gone', () => {
    const { states, closing } = statesOf();
    states.assign([{ topic: 't', partition: 0 }]);
    const key = partitionKeyOf('t', 0);
    expect(states.signalFor(key)).toBe(states.get(key)?.signal);
    states.assign([]);
    expect(states.signalFor(key)).toBe(closing.signal);
    expect(states.signalFor(partitionKeyOf('never', 3))).toBe(closing.signal);
  });

  it('stateFor makes a state once and returns the same one after', () => {
    const { states } = statesOf();
    const state = states.stateFor('t', 2);
    expect(state).toMatchObject({ key: partitionKeyOf('t', 2), topic: 't', partition: 2 });
    expect(states.stateFor('t', 2)).toBe(state);
    expect(states.stateFor('t', 3)).not.toBe(state);
  });
});
