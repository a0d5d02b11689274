import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionTracker } from './partition-tracker';

function trackerOf(offsets: readonly number[]): PartitionTracker {
  const tracker = new PartitionTracker();
  for (const offset of offsets) tracker.add(offset);
  return tracker;
}

describe('PartitionTracker', () => {
  it('has nothing to commit before any offset was handed out', () => {
    const tracker = new PartitionTracker();
    expect(tracker.committable()).toBeUndefined();
    expect(tracker.pending()).toBe(0);
  });

  it('commits up to the first offset not done, then one past the last', () => {
    const tracker = trackerOf([0, 1, 2]);
    expect(tracker.committable()).toBe(0);
    tracker.complete(0);
    expect(tracker.committable()).toBe(1);
    tracker.complete(1);
    tracker.complete(2);
    expect(tracker.committable()).toBe(3);
  });

  it('does not move past an unfinished offset when later ones finish first', () => {
    const tracker = trackerOf([10, 11, 12, 13]);
    tracker.complete(13);
    tracker.complete(11);
    expect(tracker.committable()).toBe(10);
    tracker.complete(10);
    // 11 was done already: the committable offset jumps to the next unfinished one.
    expect(tracker.committable()).toBe(12);
    tracker.complete(12);
    expect(tracker.committable()).toBe(14);
  });

  it('handles gaps between offsets (compacted topics)', () => {
    const tracker = trackerOf([3, 7, 100, 101]);
    tracker.complete(3);
    expect(tracker.committable()).toBe(7);
    tracker.complete(100);
    tracker.complete(7);
    expect(tracker.committable()).toBe(101);
    tracker.complete(101);
    expect(tracker.committable()).toBe(102);
  });

  it('ignores offsets it never handed out, and offsets completed twice', () => {
    const tracker = trackerOf([4, 6, 8]);
    tracker.complete(5); // in a gap
    tracker.complete(2); // before the first
    tracker.complete(9); // after the last
    expect(tracker.committable()).toBe(4);
    expect(tracker.pending()).toBe(3);
    tracker.complete(6);
    tracker.complete(6);
    expect(tracker.pending()).toBe(2);
    expect(tracker.committable()).toBe(4);
  });

  it('counts the offsets handed out and not done', () => {
    const tracker = trackerOf([0, 1, 2, 3]);
    expect(tracker.pending()).toBe(4);
    tracker.complete(2);
    expect(tracker.pending()).toBe(3);
    tracker.complete(0);
    expect(tracker.pending()).toBe(2);
    tracker.complete(1);
    tracker.complete(3);
    expect(tracker.pending()).toBe(0);
  });

  it('tracks offsets added after everything was done', () => {
    const tracker = trackerOf([0]);
    tracker.complete(0);
    expect(tracker.committable()).toBe(1);
    tracker.add(5);
    expect(tracker.committable()).toBe(5);
    expect(tracker.pending()).toBe(1);
  });

  it('commits where the partition was fetched up to (past markers and aborted records) once its records are done', () => {
    // Records 0-2 of a committed transaction, its commit marker at 3.
    const tracker = trackerOf([0, 1, 2]);
    tracker.fetchedUpTo(4);
    expect(tracker.committable()).toBe(0);
    tracker.complete(2);
    tracker.complete(0);
    expect(tracker.committable()).toBe(1);
    tracker.complete(1);
    expect(tracker.committable()).toBe(4);
    // A fetch of an aborted transaction (4-5) and its marker (6): no record, and the end moves.
    tracker.fetchedUpTo(7);
    expect(tracker.committable()).toBe(7);
    expect(tracker.pending()).toBe(0);
    tracker.add(7);
    expect(tracker.committable()).toBe(7);
    tracker.complete(7);
    expect(tracker.committable()).toBe(8);
  });

  it('takes a fetch with no records before any offset was handed out, and never moves back', () => {
    const tracker = new PartitionTracker();
    tracker.fetchedUpTo(9);
    expect(tracker.committable()).toBe(9);
    expect(tracker.pending()).toBe(0);
    tracker.fetchedUpTo(5);
    expect(tracker.committable()).toBe(9);
  });

  it('never commits past an unfinished record, whatever the batches cover (property)', () => {
    // Batches of records in offset order, each fetched up to some offsets past its last record.
    const batches = fc.array(
      fc.record({ records: fc.integer({ min: 0, max: 4 }), skipped: fc.integer({ min: 0, max: 3 }) }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(batches, fc.infiniteStream(fc.boolean()), (shapes, completeNow) => {
        const tracker = new PartitionTracker();
        const handedOut: number[] = [];
        const done = new Set<number>();
        let next = 0;
        for (const { records, skipped } of shapes) {
          for (let index = 0; index < records; index += 1) {
            tracker.add(next);
            handedOut.push(next);
            next += 1;
          }
          next += skipped;
          tracker.fetchedUpTo(next);
          for (const offset of handedOut) {
            if (!done.has(offset) && completeNow.next().value) {
              tracker.complete(offset);
              done.add(offset);
            }
          }
          const committable = tracker.committable() as number;
          const firstUnfinished = handedOut.find((offset) => !done.has(offset));
          expect(committable).toBe(firstUnfinished ?? next);
        }
        for (const offset of handedOut) tracker.complete(offset);
        expect(tracker.committable()).toBe(next);
      }),
    );
  });

  it('keeps tracking correctly after it drops thousands of done offsets from memory', () => {
    const tracker = new PartitionTracker();
    const count = 20_000;
    // Gaps of two, so that a lookup by position instead of by offset would be caught.
    for (let index = 0; index < count; index += 1) tracker.add(index * 2);
    // Past 4096 done offsets at the head the tracker compacts; complete most of them in order.
    for (let index = 0; index < 12_000; index += 1) tracker.complete(index * 2);
    expect(tracker.committable()).toBe(24_000);
    expect(tracker.pending()).toBe(8_000);
    // An offset done before the compaction stays done; one in a gap stays unknown.
    tracker.complete(0);
    tracker.complete(24_001);
    expect(tracker.committable()).toBe(24_000);
    // The rest, last first: found by offset after the compaction.
    for (let index = count - 1; index > 12_000; index -= 1) tracker.complete(index * 2);
    expect(tracker.committable()).toBe(24_000);
    expect(tracker.pending()).toBe(1);
    tracker.complete(24_000);
    expect(tracker.committable()).toBe(count * 2 - 1);
    expect(tracker.pending()).toBe(0);
  });

  it('never commits past an unfinished offset, whatever order offsets complete in (property)', () => {
    const offsetsAndOrder = fc
      .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 60 })
      .map((offsets) => offsets.sort((left, right) => left - right))
      .chain((offsets) =>
        fc.tuple(
          fc.constant(offsets),
          fc.shuffledSubarray(offsets, { minLength: offsets.length, maxLength: offsets.length }),
          // Unknown offsets completed along the way change nothing.
          fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 10 }),
        ),
      );
    fc.assert(
      fc.property(offsetsAndOrder, ([offsets, order, strays]) => {
        const tracker = trackerOf(offsets);
        const done = new Set<number>();
        const known = new Set(offsets);
        const last = offsets[offsets.length - 1] as number;
        const expected = () => offsets.find((offset) => !done.has(offset)) ?? last + 1;
        order.forEach((offset, step) => {
          tracker.complete(offset);
          done.add(offset);
          const stray = strays[step];
          if (stray !== undefined && !known.has(stray)) tracker.complete(stray);
          const committable = tracker.committable() as number;
          expect(committable).toBe(expected());
          for (const unfinished of offsets)
            if (!done.has(unfinished)) expect(committable).toBeLessThanOrEqual(unfinished);
          expect(tracker.pending()).toBe(offsets.length - done.size);
        });
        expect(tracker.committable()).toBe(last + 1);
      }),
    );
  });
});
