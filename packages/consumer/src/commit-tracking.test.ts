import type { IncomingRecord, InletLogger } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { CommitTracking } from './commit-tracking';
import { consumerChannels, type StallMessage } from './consumer-diagnostics';
import { PartitionStates } from './partition-states';
import type { WorkItem } from './work-item';

function item(partitions: PartitionStates, offset: number): WorkItem {
  const state = partitions.stateFor('t', 0);
  state.tracker.add(offset);
  return {
    epoch: partitions.epoch,
    partitionKey: state.key,
    laneKey: 'k',
    record: { topic: 't', partition: 0, offset: String(offset) } as IncomingRecord,
    offset,
    highWatermark: '10',
    event: undefined,
    definition: undefined,
    decodeError: undefined,
    dedupKey: '',
    versionKey: undefined,
    entityVersion: undefined,
    bytes: 0,
    settled: false,
    commit: { epoch: partitions.epoch, partitionKey: state.key, offset, holds: 0, awaitingRelease: false },
  };
}

function setup(logged: string[] = []) {
  const partitions = new PartitionStates(new AbortController().signal, 1_000);
  partitions.assign([{ topic: 't', partition: 0 }]);
  const logger: InletLogger = {
    debug: () => undefined,
    info: (message) => void logged.push(message),
    warn: (message) => void logged.push(message),
    error: () => undefined,
  };
  const commits = new CommitTracking({
    groupId: 'g',
    partitions,
    logger,
    stallThresholdMs: 1_000,
    describeStall: (_state, offset) => `offset ${offset} held`,
  });
  return { partitions, commits, tracker: () => partitions.stateFor('t', 0).tracker };
}

describe('CommitTracking', () => {
  it('holds an offset until every hold on it is released', () => {
    const { partitions, commits, tracker } = setup();
    const first = item(partitions, 0);
    const second = item(partitions, 1);
    const releaseA = commits.hold(first);
    const releaseB = commits.hold(first);
    commits.done(first);
    commits.done(second);
    expect(tracker().committable()).toBe(0);
    releaseA();
    releaseA();
    expect(tracker().committable()).toBe(0);
    releaseB();
    expect(tracker().committable()).toBe(2);
  });

  it('lets a hold released before the event is done count when it is done', () => {
    const { partitions, commits, tracker } = setup();
    const first = item(partitions, 0);
    commits.hold(first)();
    expect(tracker().committable()).toBe(0);
    commits.done(first);
    expect(tracker().committable()).toBe(1);
  });

  it('ignores holds released after a rebalance', () => {
    const { partitions, commits, tracker } = setup();
    const first = item(partitions, 0);
    const release = commits.hold(first);
    commits.done(first);
    partitions.assign([{ topic: 't', partition: 0 }]);
    release();
    expect(tracker().committable()).toBeUndefined();
  });

  it('reports a partition stuck past the threshold once, and again when it moves', () => {
    const logged: string[] = [];
    const { partitions, commits } = setup(logged);
    const messages: StallMessage[] = [];
    const listener = (message: unknown) => void messages.push(message as StallMessage);
    consumerChannels.stall.subscribe(listener);
    try {
      const first = item(partitions, 0);
      const release = commits.hold(first);
      commits.done(first);
      const start = Date.now();
      commits.watch(start);
      commits.watch(start + 500);
      expect(messages).toEqual([]);
      commits.watch(start + 1_500);
      commits.watch(start + 2_500);
      expect(messages).toEqual([
        expect.objectContaining({ state: 'stalled', offset: '0', pending: 1, cause: 'offset 0 held' }),
      ]);
      release();
      commits.watch(start + 3_000);
      expect(messages.map((message) => message.state)).toEqual(['stalled', 'progressing']);
      expect(logged).toEqual(['partition stalled', 'partition progressing again']);
    } finally {
      consumerChannels.stall.unsubscribe(listener);
    }
  });

  it('does not call an idle partition stalled', () => {
    const { partitions, commits } = setup();
    const first = item(partitions, 0);
    commits.done(first);
    const messages: unknown[] = [];
    const listener = (message: unknown) => void messages.push(message);
    consumerChannels.stall.subscribe(listener);
    try {
      commits.watch(Date.now() + 10_000);
      expect(messages).toEqual([]);
    } finally {
      consumerChannels.stall.unsubscribe(listener);
    }
  });
});
