import { describe, expect, it } from 'vitest';
import { aggregate, count, sum } from './aggregations';
import { hopping, session, sliding, tumbling } from './window-kinds';
import { type WindowInput, WindowOperator, type WindowOutput } from './window-operator';
import { WindowingErrorCode } from './windowing-error-code';

interface Sale {
  readonly amount: number;
}

function at(key: string, time: number, amount = 1): WindowInput<Sale> {
  return { key, time, event: { amount } };
}

function finals<T>(outputs: readonly WindowOutput<T>[]) {
  return outputs.flatMap((output) =>
    output.type === 'result' && output.final ? [[output.key, output.start, output.end, output.value]] : [],
  );
}

describe('WindowOperator', () => {
  it('emits one final count per tumbling window once the watermark passes end + grace', () => {
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      graceMs: 5,
    });
    operator.process('p0', [at('a', 1), at('a', 9), at('b', 12), at('a', 14)]);
    expect(finals(operator.takeOutputs())).toEqual([]);
    operator.process('p0', [at('a', 15)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 10, 2]]);
    operator.process('p0', [at('a', 3)]);
    expect(operator.takeLateEvents().map((late) => [late.time, late.outcome])).toEqual([[3, 'dropped']]);
    operator.process('p0', [at('c', 40)]);
    expect(finals(operator.takeOutputs())).toEqual([
      ['b', 10, 20, 1],
      ['a', 10, 20, 2],
    ]);
  });

  it('answers recent(key, at) over (at − size, at] at any moment, and refuses what it purged', () => {
    const operator = new WindowOperator<Sale, number>({
      window: sliding({ sizeMs: 10 }),
      aggregation: sum((sale: Sale) => sale.amount),
      outOfOrdernessMs: 20,
    });
    operator.process('p0', [at('card', 1, 1), at('card', 4, 2), at('card', 9, 4), at('card', 12, 8)]);
    // Between events, not only at them; the bounds: after at − size, up to at.
    expect(operator.recent('card', 10)).toEqual({ value: 7, events: 3 });
    expect(operator.recent('card', 11)).toEqual({ value: 6, events: 2 });
    expect(operator.recent('card', 12)).toEqual({ value: 14, events: 3 });
    expect(operator.recent('card', 3)).toEqual({ value: 1, events: 1 });
    expect(operator.recent('nobody', 12)).toBeUndefined();
    // The watermark moves on to 60 − 20: values up to 40 − 10 are purged, and a fold from before
    // that would leave them out — it is refused, naming what can be asked.
    operator.process('p0', [at('card', 35, 16), at('other', 60)]);
    expect(operator.recent('card', 44)).toEqual({ value: 16, events: 1 });
    expect(() => operator.recent('card', 12)).toThrow(
      expect.objectContaining({
        code: WindowingErrorCode.queryBeyondState,
        message: expect.stringContaining('at ≥ 40'),
      }),
    );
    expect(() => operator.recent('nobody', 12)).toThrow(
      expect.objectContaining({ code: WindowingErrorCode.queryBeyondState }),
    );
  });

  it('reports a key that comes in a second partition it owns, once', () => {
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
    });
    operator.process('p0', [at('a', 1), at('b', 2)]);
    operator.process('p1', [at('c', 3)]);
    expect(operator.takeSplitKeys()).toEqual([]);
    operator.process('p1', [at('a', 4), at('a', 5)]);
    expect(operator.takeSplitKeys()).toEqual([{ key: 'a', partitions: ['p0', 'p1'] }]);
    expect(operator.takeSplitKeys()).toEqual([]);
  });

  it('puts an event in every hopping window holding it', () => {
    const operator = new WindowOperator<Sale, number>({
      window: hopping({ sizeMs: 10, advanceMs: 5 }),
      aggregation: sum((sale: Sale) => sale.amount),
    });
    operator.process('p0', [at('a', 7, 3), at('a', 12, 4), at('z', 100)]);
    expect(finals(operator.takeOutputs())).toEqual([
      ['a', 0, 10, 3],
      ['a', 5, 15, 7],
      ['a', 10, 20, 4],
    ]);
  });

  it('keeps hopping windows aligned to k·advance + offset when advance does not divide size', () => {
    const operator = new WindowOperator<Sale, number>({
      window: hopping({ sizeMs: 5, advanceMs: 3, offsetMs: 1 }),
      aggregation: count(),
    });
    operator.process('p0', [at('a', -151), at('a', 7), at('z', 100)]);
    expect(finals(operator.takeOutputs())).toEqual([
      ['a', -155, -150, 1],
      ['a', -152, -147, 1],
      ['a', 4, 9, 1],
      ['a', 7, 12, 1],
    ]);
  });

  it('makes a sliding window ending at each event and adds earlier-arriving later windows', () => {
    const operator = new WindowOperator<Sale, number>({
      window: sliding({ sizeMs: 10 }),
      aggregation: count(),
      outOfOrdernessMs: 100,
    });
    operator.process('p0', [at('a', 5), at('a', 12), at('a', 8)]);
    operator.process('p0', [at('z', 1000)]);
    expect(finals(operator.takeOutputs())).toEqual([
      ['a', -4, 6, 1],
      ['a', -1, 9, 2],
      ['a', 3, 13, 3],
    ]);
  });

  it('merges sessions and retracts the early results of the sessions it merged', () => {
    const operator = new WindowOperator<Sale, number>({
      window: session({ gapMs: 10 }),
      aggregation: count(),
      emit: 'update',
      outOfOrdernessMs: 100,
    });
    operator.process('p0', [at('a', 0), at('a', 30)]);
    const early = operator.takeOutputs();
    expect(early.map((o) => [o.type, o.start, o.end])).toEqual([
      ['result', 0, 10],
      ['result', 30, 40],
    ]);
    operator.process('p0', [at('a', 15), at('a', 22)]);
    const merged = operator.takeOutputs();
    expect(merged.filter((o) => o.type === 'retraction').map((o) => [o.start, o.end])).toEqual([[30, 40]]);
    operator.process('p0', [at('a', 9)]);
    expect(
      operator
        .takeOutputs()
        .filter((o) => o.type === 'retraction')
        .map((o) => [o.start, o.end]),
    ).toEqual([
      [0, 10],
      [15, 40],
    ]);
    operator.process('p0', [at('z', 1000)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 40, 5]]);
  });

  it('judges an event late when its span overlaps a closed session, even when its own span is still open', () => {
    const operator = new WindowOperator<Sale, number>({
      window: session({ gapMs: 10 }),
      aggregation: count(),
    });
    operator.process('p0', [at('a', 0), at('b', 12)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 10, 1]]);
    operator.process('p0', [at('a', 5)]);
    expect(operator.takeLateEvents().map((late) => [late.outcome, late.windows])).toEqual([
      ['dropped', [{ start: 0, end: 10 }]],
    ]);
    operator.process('p0', [at('z', 100)]);
    expect(finals(operator.takeOutputs())).toEqual([['b', 12, 22, 1]]);
  });

  it('emits nothing before its close for a session a late event reopened, under emit: final', () => {
    const operator = new WindowOperator<Sale, number>({
      window: session({ gapMs: 10 }),
      aggregation: count(),
      late: { policy: 'update', retainMs: 100 },
    });
    operator.process('p0', [at('b', 12)]);
    // c@1 makes the closed session [1, 11); c@4 merges it into [1, 14), which is open again.
    operator.process('p0', [at('c', 1), at('c', 4)]);
    expect(operator.takeLateEvents().map((late) => late.outcome)).toEqual(['updated', 'updated']);
    expect(operator.takeOutputs()).toEqual([]);
    operator.process('p0', [at('z', 100)]);
    expect(finals(operator.takeOutputs())).toEqual([
      ['c', 1, 14, 2],
      ['b', 12, 22, 1],
    ]);
  });

  it('corrects a closed window under late: update', () => {
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      late: { policy: 'update', retainMs: 100 },
    });
    operator.process('p0', [at('a', 1), at('a', 20)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 10, 1]]);
    operator.process('p0', [at('a', 2)]);
    const [correction] = operator.takeOutputs();
    expect(correction).toMatchObject({ type: 'result', start: 0, value: 2, revision: 2, correction: true });
    operator.process('p0', [at('a', 500)]);
    operator.process('p0', [at('a', 3)]);
    expect(operator.takeLateEvents().map((late) => late.outcome)).toEqual(['updated', 'expired']);
  });

  it('emits the correction of a window even when the same batch moves the watermark past its retention', () => {
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      late: { policy: 'update', retainMs: 5 },
    });
    operator.process('p0', [at('a', 1), at('a', 12)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 10, 1]]);
    operator.process('p0', [at('a', 2), at('a', 30)]);
    expect(operator.takeLateEvents().map((late) => late.outcome)).toEqual(['updated']);
    expect(
      operator
        .takeOutputs()
        .filter((output) => output.type === 'result' && output.correction)
        .map((output) => [output.start, output.type === 'result' ? output.value : null]),
    ).toEqual([[0, 2]]);
  });

  it('counts a late event as updated when it corrected one closed window and the other was past retention', () => {
    const operator = new WindowOperator<Sale, number>({
      window: hopping({ sizeMs: 10, advanceMs: 5 }),
      aggregation: count(),
      late: { policy: 'update', retainMs: 3 },
    });
    operator.process('p0', [at('a', 1), at('a', 16)]);
    operator.takeOutputs();
    operator.process('p0', [at('a', 7)]);
    const [late] = operator.takeLateEvents();
    expect([late?.outcome, late?.windows]).toEqual([
      'updated',
      [
        { start: 0, end: 10 },
        { start: 5, end: 15 },
      ],
    ]);
    expect(operator.stats().late).toMatchObject({ updated: 1, expired: 0 });
    expect(operator.takeOutputs()).toMatchObject([{ start: 5, end: 15, value: 1, correction: true }]);
  });

  it('holds the watermark at the slowest partition until it is idle', () => {
    let now = 0;
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      idleTimeoutMs: 1000,
      clock: () => now,
    });
    operator.assign('p1');
    operator.process('p0', [at('a', 1), at('a', 50)]);
    expect(finals(operator.takeOutputs())).toEqual([]);
    now = 1500;
    operator.process('p0', [at('a', 51)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 10, 1]]);
  });
});

describe('WindowOperator results', () => {
  it('does not change a result once emitted when its aggregation changes the accumulator in place', () => {
    const operator = new WindowOperator<Sale, number[]>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: aggregate({
        input: (sale: Sale) => sale.amount,
        init: (): number[] => [],
        add: (amounts: number[], amount: number) => {
          amounts.push(amount);
          return amounts;
        },
      }),
      emit: 'update',
    });
    operator.process('p0', [at('a', 1, 5)]);
    const [early] = operator.takeOutputs();
    operator.process('p0', [at('a', 2, 7)]);
    expect(early).toMatchObject({ value: [5], events: 1 });
    expect(operator.takeOutputs()).toMatchObject([{ value: [5, 7], events: 2 }]);
  });
});

describe('WindowOperator at window boundaries', () => {
  const flushAt = 1_000_000;

  function finalsOf(options: ConstructorParameters<typeof WindowOperator<Sale, number>>[0], times: number[]) {
    const operator = new WindowOperator<Sale, number>(options);
    operator.process('p0', [...times.map((time) => at('a', time)), at('z', flushAt)]);
    return finals(operator.takeOutputs());
  }

  it('aligns tumbling windows to the epoch plus the offset, also before 1970, an event at end going to the next', () => {
    expect(
      finalsOf({ window: tumbling({ sizeMs: 10, offsetMs: 3 }), aggregation: count() }, [2, 3, 12, 13]),
    ).toEqual([
      ['a', -7, 3, 1],
      ['a', 3, 13, 2],
      ['a', 13, 23, 1],
    ]);
    expect(finalsOf({ window: tumbling({ sizeMs: 10 }), aggregation: count() }, [-11, -10, -1, 0])).toEqual([
      ['a', -20, -10, 1],
      ['a', -10, 0, 2],
      ['a', 0, 10, 1],
    ]);
  });

  it('puts a negative time in every hopping window holding it, and none where it is the end', () => {
    expect(finalsOf({ window: hopping({ sizeMs: 10, advanceMs: 5 }), aggregation: count() }, [-5])).toEqual([
      ['a', -10, 0, 1],
      ['a', -5, 5, 1],
    ]);
  });

  it('splits sessions exactly gapMs apart and joins those one less', () => {
    expect(finalsOf({ window: session({ gapMs: 10 }), aggregation: count() }, [0, 10, 30, 39])).toEqual([
      ['a', 0, 10, 1],
      ['a', 10, 20, 1],
      ['a', 30, 49, 2],
    ]);
  });

  it('leaves an event exactly sizeMs before out of a sliding window, and one less in', () => {
    expect(finalsOf({ window: sliding({ sizeMs: 10 }), aggregation: count() }, [0, 10, 19])).toEqual([
      ['a', -9, 1, 1],
      ['a', 1, 11, 1],
      ['a', 10, 20, 2],
    ]);
  });

  it('closes a window when the watermark is exactly end + grace, and an event then is late', () => {
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      graceMs: 5,
      outOfOrdernessMs: 2,
    });
    operator.process('p0', [at('a', 9), at('b', 16)]);
    expect(finals(operator.takeOutputs())).toEqual([]);
    operator.process('p0', [at('b', 17)]);
    expect(finals(operator.takeOutputs())).toEqual([['a', 0, 10, 1]]);
    operator.process('p0', [at('a', 9)]);
    expect(operator.takeLateEvents().map((late) => [late.watermark, late.outcome])).toEqual([
      [15, 'dropped'],
    ]);
  });

  it('counts a partition idle once exactly idleTimeoutMs passed without a batch', () => {
    let now = 0;
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      idleTimeoutMs: 100,
      clock: () => now,
    });
    operator.assign('p1');
    operator.process('p0', [at('a', 1), at('a', 50)]);
    now = 60;
    operator.process('p0', [at('a', 51)]);
    now = 99;
    operator.tick();
    expect(operator.watermark()).toBe(Number.NEGATIVE_INFINITY);
    now = 100;
    operator.tick();
    expect([operator.watermark(), finals(operator.takeOutputs())]).toEqual([51, [['a', 0, 10, 1]]]);
  });

  it('lets a partition that hands over only empty batches go idle', () => {
    let now = 0;
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      idleTimeoutMs: 100,
      clock: () => now,
    });
    operator.process('p1', [at('b', 0)]);
    now = 90;
    operator.process('p1', []);
    operator.process('p0', [at('a', 1), at('a', 50)]);
    now = 100;
    operator.process('p1', []);
    expect([operator.watermark(), finals(operator.takeOutputs())]).toEqual([
      50,
      [
        ['b', 0, 10, 1],
        ['a', 0, 10, 1],
      ],
    ]);
  });

  it('follows the wall clock under the quiet-stream rule only once every partition is caught up and quiet for afterMs', () => {
    let now = 0;
    const operator = new WindowOperator<Sale, number>({
      window: tumbling({ sizeMs: 10 }),
      aggregation: count(),
      quiet: { afterMs: 100, maxDelayMs: 20 },
      clock: () => now,
    });
    operator.process('p0', [at('a', 1)]);
    now = 150;
    operator.tick();
    expect(operator.watermark()).toBe(1);
    operator.setCaughtUp('p0', true);
    now = 200;
    operator.process('p0', [at('a', 2)]);
    now = 299;
    operator.tick();
    expect(operator.watermark()).toBe(2);
    now = 300;
    operator.tick();
    expect([operator.watermark(), finals(operator.takeOutputs())]).toEqual([280, [['a', 0, 10, 2]]]);
  });
});
