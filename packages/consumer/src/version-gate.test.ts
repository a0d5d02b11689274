import { InletError } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { describe, expect, it } from 'vitest';
import { quickServiceCalls, workItem } from './fixtures/work-items.test-support';
import { ConsumerFailedError } from './retries';
import type { VersionStore } from './stores/stores';
import { VersionGate } from './version-gate';

const never = new AbortController().signal;

/** A version store remembering its calls; `failures` are thrown by the next calls. */
function recordingStore(stored: Record<string, number> = {}) {
  const versions = new Map(Object.entries(stored));
  const calls: { latest: string[][]; record: { key: string; version: number }[][] } = {
    latest: [],
    record: [],
  };
  const failures: unknown[] = [];
  const store: VersionStore = {
    async latest(keys) {
      calls.latest.push([...keys]);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return keys.map((key) => versions.get(key));
    },
    async record(entries) {
      calls.record.push(entries.map((entry) => ({ ...entry })));
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      for (const { key, version } of entries)
        versions.set(key, Math.max(version, versions.get(key) ?? -Infinity));
    },
    close: async () => undefined,
  };
  return { store, calls, failures };
}

function gateOver(store: VersionStore) {
  const { service, counted } = quickServiceCalls(2);
  return { gate: new VersionGate(store, service), counted };
}

const versioned = (versionKey: string, entityVersion: number) => workItem({ versionKey, entityVersion });

describe('VersionGate', () => {
  it('reads the stored latest version of each entity, asking for each key once', async () => {
    const { store, calls } = recordingStore({ a: 3, b: 7 });
    const { gate } = gateOver(store);
    const latest = await gate.storedLatest(
      [versioned('a', 4), versioned('a', 5), versioned('c', 1), versioned('b', 8), workItem()],
      never,
    );
    expect(calls.latest).toEqual([['a', 'c', 'b']]);
    expect([...latest]).toEqual([
      ['a', 3],
      ['c', undefined],
      ['b', 7],
    ]);
  });

  it('does not call the store when no item has a version key', async () => {
    const { store, calls } = recordingStore();
    const { gate } = gateOver(store);
    expect((await gate.storedLatest([workItem(), workItem({ dedupKey: 'x' })], never)).size).toBe(0);
    expect(calls.latest).toEqual([]);
  });

  it('records only items with a version key and an entity version', async () => {
    const { store, calls } = recordingStore();
    const { gate } = gateOver(store);
    await gate.record(
      [versioned('a', 2), workItem({ versionKey: 'b' }), workItem({ entityVersion: 9 }), versioned('c', 0)],
      never,
    );
    expect(calls.record).toEqual([
      [
        { key: 'a', version: 2 },
        { key: 'c', version: 0 },
      ],
    ]);
    await gate.record([workItem(), workItem({ versionKey: 'b' })], never);
    expect(calls.record).toHaveLength(1);
  });

  it('coalesces the calls of one turn into one round trip, answering each caller', async () => {
    const { store, calls } = recordingStore({ a: 1, b: 2 });
    const { gate } = gateOver(store);
    const [first, second] = await Promise.all([
      gate.storedLatest([versioned('a', 5)], never),
      gate.storedLatest([versioned('b', 5), versioned('a', 5)], never),
    ]);
    expect(calls.latest).toHaveLength(1);
    expect([...first]).toEqual([['a', 1]]);
    expect([...second]).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
    await Promise.all([gate.record([versioned('a', 6)], never), gate.record([versioned('b', 6)], never)]);
    expect(calls.record).toEqual([
      [
        { key: 'a', version: 6 },
        { key: 'b', version: 6 },
      ],
    ]);
  });

  it('retries a retryable store failure, then stops the consumer with ConsumerFailedError', async () => {
    const { store, calls, failures } = recordingStore({ a: 1 });
    const { gate, counted } = gateOver(store);
    const busy = new InletError(StoreErrorCode.storeConflict, 'deadlock detected', { retryable: true });
    failures.push(busy);
    expect([...(await gate.storedLatest([versioned('a', 2)], never))]).toEqual([['a', 1]]);
    expect(counted.retries).toBe(1);
    failures.push(busy, busy, busy);
    const error = await gate.record([versioned('a', 2)], never).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConsumerFailedError);
    expect(error).toMatchObject({ code: StoreErrorCode.storeConflict });
    expect((error as Error).message).toContain('version store record failed after 3 attempts');
    expect(calls.record).toHaveLength(3);
  });
});
