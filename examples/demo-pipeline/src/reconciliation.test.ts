import { describe, expect, it } from 'vitest';
import type { OrderRow } from './demo-sinks';
import { newestOrders, reconcile, reconciliationLine, tableChecksum } from './reconciliation';

const table = (rows: [string, number, string][]) =>
  new Map<string, OrderRow>(rows.map(([orderId, revision, status]) => [orderId, { revision, status }]));
const read = { recordsRead: 10, unreadable: 0 };

describe('reconciliation', () => {
  it('takes the newest revision of each order, in any order of reading', () => {
    const updates = [
      { orderId: 'a', revision: 2, status: 'paid' },
      { orderId: 'a', revision: 1, status: 'placed' },
      { orderId: 'b', revision: 0, status: 'placed' },
      { orderId: 'a', revision: 3, status: 'packed' },
    ];
    const expected = table([
      ['a', 3, 'packed'],
      ['b', 0, 'placed'],
    ]);
    expect(newestOrders(updates)).toEqual(expected);
    expect(newestOrders([...updates].reverse())).toEqual(expected);
  });

  it('is exact for equal tables, with a checksum that ignores row order', () => {
    const source = table([
      ['a', 3, 'packed'],
      ['b', 0, 'placed'],
    ]);
    const sink = table([
      ['b', 0, 'placed'],
      ['a', 3, 'packed'],
    ]);
    // Only what the report shows: what else the reading carried stays out.
    const result = reconcile(sink, source, { ...read, updates: [] } as typeof read);
    expect(Object.keys(result).sort()).toEqual(
      [
        'checksumEqual',
        'different',
        'exact',
        'expectedChecksum',
        'extra',
        'missing',
        'recordsRead',
        'rowsExpected',
        'rowsInSink',
        'sinkChecksum',
        'unreadable',
      ].sort(),
    );
    expect(result).toMatchObject({
      rowsInSink: 2,
      rowsExpected: 2,
      missing: 0,
      extra: 0,
      different: 0,
      checksumEqual: true,
      exact: true,
    });
    expect(reconciliationLine(result)).toBe(
      'reconciliation: 2 rows in sink, 2 expected, 0 missing, 0 extra, 0 different, checksum equal',
    );
  });

  it('counts missing, extra and different rows, and the checksum tells them apart', () => {
    const source = table([
      ['a', 3, 'packed'],
      ['b', 0, 'placed'],
      ['c', 1, 'paid'],
    ]);
    const sink = table([
      ['a', 2, 'packed'],
      ['b', 0, 'placed'],
      ['d', 1, 'paid'],
    ]);
    const result = reconcile(sink, source, read);
    expect(result).toMatchObject({ missing: 1, extra: 1, different: 1, checksumEqual: false, exact: false });
    expect(reconciliationLine(result)).toMatch(/1 missing, 1 extra, 1 different, checksum DIFFERENT$/);
    // A status alone differing changes the checksum too.
    expect(tableChecksum(table([['a', 3, 'packed']]))).not.toBe(tableChecksum(table([['a', 3, 'paid']])));
  });
});
