import { describe, expect, it } from 'vitest';
import { BatchStaleness } from './batch-staleness';

describe('BatchStaleness', () => {
  it('marks a batch stale when its partition is sought, and every batch when all partitions move', () => {
    const staleness = new BatchStaleness();
    const first = staleness.snapshot('0:t');
    const other = staleness.snapshot('1:t');
    staleness.partitionMoved('0:t');
    expect(first()).toBe(true);
    expect(other()).toBe(false);
    const later = staleness.snapshot('0:t');
    expect(later()).toBe(false);
    staleness.allMoved();
    expect(other()).toBe(true);
    expect(later()).toBe(true);
  });
});
