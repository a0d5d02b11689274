import { createInMemoryBackbone } from '@inlet/backbone';
import { InletError, InletErrorCode } from '@inlet/core';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregate, count } from './aggregations';
import { session, tumbling } from './window-kinds';
import { createWindowing } from './windowing';
import { salesTopic } from './windowing.test-support';

const transport = createInMemoryBackbone();
afterAll(() => transport.close());
const sales = salesTopic('options-sales');
const valid = {
  transport,
  groupId: 'g',
  topics: [sales],
  window: tumbling({ sizeMs: 1_000 }),
  aggregation: count(),
};

function refusal(make: () => unknown): InletError {
  try {
    make();
  } catch (error) {
    if (InletError.is(error)) return error;
    throw error;
  }
  throw new Error('was not refused');
}

describe('createWindowing options', () => {
  it('refuses a wrongly typed option, naming it', () => {
    const error = refusal(() => createWindowing({ ...valid, graceMs: '5' as unknown as number }));
    expect(error.code).toBe(InletErrorCode.invalidOption);
    expect(error.message).toMatch(/graceMs/);
  });

  it('refuses a checkKeyPartitions that is not true or false, naming it', () => {
    const error = refusal(() =>
      createWindowing({ ...valid, checkKeyPartitions: 'no' as unknown as boolean }),
    );
    expect(error.code).toBe(InletErrorCode.invalidOption);
    expect(error.message).toMatch(/checkKeyPartitions/);
  });

  it('refuses an unknown key (a typo) at creation', () => {
    const error = refusal(() => createWindowing({ ...valid, graceMS: 5 } as never));
    expect(error.code).toBe(InletErrorCode.invalidOption);
    expect(error.message).toMatch(/graceMS/);
  });

  it('refuses a missing window and an aggregation that is not one', () => {
    expect(refusal(() => createWindowing({ ...valid, window: undefined as never })).message).toMatch(
      /window/,
    );
    expect(refusal(() => createWindowing({ ...valid, aggregation: (() => 1) as never })).message).toMatch(
      /aggregation/,
    );
  });

  it('refuses a late policy and an output it does not know', () => {
    expect(refusal(() => createWindowing({ ...valid, late: 'ignore' as never })).message).toMatch(/late/);
    expect(refusal(() => createWindowing({ ...valid, output: { table: 'x' } as never })).message).toMatch(
      /output/,
    );
    expect(
      refusal(() => createWindowing({ ...valid, output: { topic: 'results', contentMode: 'json' } as never }))
        .message,
    ).toMatch(/output.*contentMode/);
  });

  it('refuses a dedup store or a version gate: copies are recognised by the window state', () => {
    expect(refusal(() => createWindowing({ ...valid, dedup: false } as never)).message).toMatch(/dedup/);
    expect(refusal(() => createWindowing({ ...valid, versionGate: {} } as never)).message).toMatch(
      /versionGate/,
    );
  });

  it('refuses session windows with an aggregation that cannot merge', () => {
    const noMerge = aggregate({
      input: () => 1,
      init: () => 0,
      add: (total: number, one: number) => total + one,
    });
    const error = refusal(() =>
      createWindowing({ ...valid, window: session({ gapMs: 10 }), aggregation: noMerge }),
    );
    expect(error.message).toMatch(/merge/);
  });

  it('refuses window sizes that are not positive whole milliseconds', () => {
    expect(() => tumbling({ sizeMs: 0 })).toThrow(/sizeMs/);
    expect(() => tumbling({ sizeMs: 1.5 })).toThrow(/sizeMs/);
    expect(() => tumbling({ sizeMs: 10, offsetMs: 10 })).toThrow(/offsetMs/);
  });
});
