import { InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { createMemoryDedupStore, createMemoryVersionStore, MemoryDedupMarks } from './memory-stores';
import { describeDedupStoreContract, describeVersionStoreContract } from './store-contract.test-support';

// Memory stores live and die with their process: no durability to show, and close() only forgets.
const memory = { durable: false, rejectsAfterClose: false } as const;

describeDedupStoreContract('memory', () => createMemoryDedupStore(), memory);
describeVersionStoreContract('memory', () => createMemoryVersionStore(), memory);

describe('memory dedup marks', () => {
  it('forgets the least recently marked key first when over its bound', () => {
    const marks = new MemoryDedupMarks(3);
    for (const key of ['a', 'b', 'c']) marks.mark(key, 60_000, 1_000);
    marks.mark('a', 60_000, 1_001); // marked again: now the most recent
    marks.mark('d', 60_000, 1_002);
    expect(['a', 'b', 'c', 'd'].map((key) => marks.has(key, 1_003))).toEqual([true, false, true, true]);
  });

  it('sees a key until its mark expires, by the clock it is given', () => {
    const marks = new MemoryDedupMarks();
    marks.mark('a', 100, 1_000);
    expect(marks.has('a', 1_099)).toBe(true);
    expect(marks.has('a', 1_100)).toBe(false);
  });

  it('drops expired marks at the front as new ones arrive, every 256 marks', () => {
    const marks = new MemoryDedupMarks(1_000);
    marks.mark('old', 10, 0);
    // With 'old', 255 marks: the 256th sweeps.
    for (let index = 0; index < 254; index += 1) marks.mark(`new-${index}`, 10, 50);
    // Not swept yet: asked with an earlier clock, the mark still answers.
    expect(marks.has('old', 0)).toBe(true);
    marks.mark('new-255', 10, 50);
    // 'old' had expired when the sweep came, so it is gone although the bound was not reached.
    expect(marks.has('old', 0)).toBe(false);
    expect(marks.has('new-255', 50)).toBe(true);
  });

  it('keeps its answers across the restart of its clock offsets after about twelve days', () => {
    const marks = new MemoryDedupMarks(1_000_000);
    const start = Date.now();
    const later = start + 2 ** 30 + 1_000;
    marks.mark('kept', 2 ** 31, start);
    marks.mark('gone', 10, start);
    // 256 marks bring a sweep, which starts the offsets again from `later`.
    for (let index = 0; index < 256; index += 1) marks.mark(`filler-${index}`, 60_000, later);
    expect(marks.has('kept', later)).toBe(true);
    expect(marks.has('gone', later)).toBe(false);
    expect(marks.has('filler-0', later + 59_000)).toBe(true);
    expect(marks.has('filler-0', later + 61_000)).toBe(false);
    expect(marks.has('kept', start + 2 ** 31 + 1)).toBe(false);
  });

  it('drops the least recently marked at once when over its bound', () => {
    const marks = new MemoryDedupMarks(2);
    marks.mark('a', 1_000, 0);
    marks.mark('b', 1_000, 0);
    marks.mark('c', 1_000, 0);
    expect([marks.has('a', 1), marks.has('b', 1), marks.has('c', 1)]).toEqual([false, true, true]);
  });

  it('refuses a bound that is not a positive whole number', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryDedupMarks(bad)).toThrow(
        expect.objectContaining({ code: InletErrorCode.invalidOption }),
      );
    }
  });
});
