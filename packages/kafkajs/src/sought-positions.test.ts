import { describe, expect, it } from 'vitest';
import { SoughtPositions } from './sought-positions';

describe('SoughtPositions', () => {
  it('admits filtered batches of a partition with no seek pending', () => {
    const sought = new SoughtPositions();
    expect(sought.admitsFiltered('t/0', '7')).toBe(true);
    expect(sought.admitsFiltered('t/0', null)).toBe(true);
  });

  it('after a seek, admits only a filtered batch that starts at the sought offset, then all again', () => {
    const sought = new SoughtPositions();
    sought.sought('t/0', '5');
    expect(sought.admitsFiltered('t/0', '10')).toBe(false);
    expect(sought.admitsFiltered('t/0', null)).toBe(false);
    expect(sought.admitsFiltered('t/1', '10')).toBe(true);
    expect(sought.admitsFiltered('t/0', '5')).toBe(true);
    expect(sought.admitsFiltered('t/0', '12')).toBe(true);
  });

  it('admits filtered batches again once eachBatch showed the seek applied', () => {
    const sought = new SoughtPositions();
    sought.sought('t/0', '5');
    sought.applied('t/0');
    expect(sought.admitsFiltered('t/0', '9')).toBe(true);
  });
});
