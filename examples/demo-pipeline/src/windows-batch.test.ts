import { count, sliding, WindowOperator, type WindowOutput } from '@inlet/windowing';
import { describe, expect, it } from 'vitest';
import {
  batchRevenuePerMinute,
  batchSlidingCounts,
  type Checkout,
  latestValues,
  rollUpByStart,
  sameEntries,
  windowId,
  windowsCountingLate,
} from './windows-batch';

const checkout = (checkoutId: string, customerId: string, at: number, amount = 1): Checkout => ({
  checkoutId,
  customerId,
  amount,
  at,
});

function result(
  key: string,
  start: number,
  end: number,
  revision: number,
  value: number,
): WindowOutput<number> {
  return {
    type: 'result',
    key,
    start,
    end,
    revision,
    value,
    events: 1,
    final: true,
    correction: revision > 1,
    partition: 'p0',
  };
}

describe('folding window results', () => {
  it('keeps the latest revision of each window whatever the order, and drops retracted ones', () => {
    const outputs: WindowOutput<number>[] = [
      result('a', 0, 60, 2, 15),
      result('a', 0, 60, 1, 10),
      result('b', 0, 60, 1, 7),
      { type: 'retraction', key: 'c', start: 0, end: 60, revision: 2, partition: 'p0' },
      result('c', 0, 60, 1, 3),
    ];
    expect(latestValues(outputs)).toEqual(
      new Map([
        [windowId('a', 0, 60), 15],
        [windowId('b', 0, 60), 7],
      ]),
    );
  });

  it('rolls per-customer minutes up into revenue per minute, equal to summing the checkouts directly', () => {
    const checkouts = [
      checkout('1', 'a', 1_000, 5),
      checkout('2', 'b', 59_999, 7),
      checkout('3', 'a', 60_000, 11),
      checkout('4', 'a', 61_000, 2),
    ];
    const perCustomer = new Map([
      [windowId('a', 0, 60_000), 5],
      [windowId('b', 0, 60_000), 7],
      [windowId('a', 60_000, 120_000), 13],
    ]);
    expect(rollUpByStart(perCustomer)).toEqual(
      new Map([
        [0, 12],
        [60_000, 13],
      ]),
    );
    expect(sameEntries(rollUpByStart(perCustomer), batchRevenuePerMinute(checkouts))).toBe(true);
    expect(sameEntries(rollUpByStart(perCustomer), new Map([[0, 12]]))).toBe(false);
  });
});

describe('sliding counts by the README', () => {
  const sizeMs = 100;

  it('counts a late checkout only in the windows open when it came, and makes no window for it', () => {
    const checkouts = [
      checkout('on-10', 'a', 10),
      checkout('on-20', 'a', 20),
      checkout('on-50', 'a', 50),
      checkout('late-5', 'a', 5),
    ];
    // Judged by watermark 30 with grace 0: windows ending at or before 30 had closed.
    const late = new Map([['late-5', 30]]);
    expect(batchSlidingCounts(checkouts, { sizeMs, graceMs: 0, late })).toEqual(
      new Map([
        [windowId('a', -89, 11), 1],
        [windowId('a', -79, 21), 2],
        [windowId('a', -49, 51), 4],
      ]),
    );
    expect(windowsCountingLate(checkouts, { sizeMs, graceMs: 0, late })).toBe(1);
    // With grace the window ending at 21 was still open (21 + 10 > 30): the late one counts there too.
    expect(batchSlidingCounts(checkouts, { sizeMs, graceMs: 10, late }).get(windowId('a', -79, 21))).toBe(3);
  });

  it('equals the windowing operator with a side output, on streams with late events', () => {
    let state = 11;
    const random = () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
    let lateSeen = 0;
    let windowsCountingLateSeen = 0;
    for (let round = 0; round < 30; round++) {
      const graceMs = Math.floor(random() * 20);
      const operator = new WindowOperator<Checkout, number>({
        window: sliding({ sizeMs }),
        aggregation: count(),
        graceMs,
        late: { policy: 'side-output' },
      });
      const checkouts: Checkout[] = [];
      let streamAt = 0;
      for (let index = 0; index < 40; index++) {
        streamAt += Math.floor(random() * 30);
        const behind = random() < 0.2 ? Math.floor(random() * 150) : 0;
        const sent = checkout(`c${index}`, random() < 0.5 ? 'a' : 'b', streamAt - behind);
        checkouts.push(sent);
        operator.process('p0', [{ key: sent.customerId, time: sent.at, event: sent }]);
      }
      // Closes every window of a and b.
      operator.process('p0', [{ key: 'z', time: streamAt + 1_000, event: checkout('end', 'z', 0) }]);
      const late = new Map(
        operator.takeLateEvents().map((event) => [event.event.checkoutId, event.watermark]),
      );
      const emitted = latestValues(operator.takeOutputs());
      expect(emitted).toEqual(batchSlidingCounts(checkouts, { sizeMs, graceMs, late }));
      lateSeen += late.size;
      windowsCountingLateSeen += windowsCountingLate(checkouts, { sizeMs, graceMs, late });
    }
    // The streams do exercise the rule: late events, some still counted in open windows.
    expect(lateSeen).toBeGreaterThan(30);
    expect(windowsCountingLateSeen).toBeGreaterThan(10);
  });
});
