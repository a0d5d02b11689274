import { describe, expect, it } from 'vitest';
import { InletError, InletErrorCode, type InletValidationError } from '../errors';
import { checkOptions, describeValue, option, required, suggestKey } from './option-rules';

const shape = {
  groupId: required(option.nonEmptyString()),
  maxConcurrency: option.integer({ min: 1 }),
  handle: option.function('a function (event, context) => Promise<void>'),
  retry: option.object({ retries: option.integer({ min: 0 }), minDelayMs: option.integer({ min: 0 }) }),
  linger: option.object({ ms: option.integer({ min: 0 }) }),
  deadLetter: option.either(
    [option.oneOf([false]), option.object({ topic: option.function('a function (sourceTopic) => string') })],
    (value) => (value === false ? 0 : typeof value === 'object' && value !== null ? 1 : undefined),
  ),
  store: option.methods(
    'a dedup store',
    ['seen', 'mark', 'close'],
    'wrap a Redis client with createRedisDedupStore',
  ),
  topics: option.arrayOf(option.nonEmptyString(), { minItems: 1 }),
};

function issuesOf(value: unknown): { path: string; message: string }[] {
  try {
    checkOptions('consumer', value, shape);
  } catch (error) {
    expect(InletError.hasCode(error, InletErrorCode.invalidOption)).toBe(true);
    return [...(error as InletValidationError).issues];
  }
  return [];
}

describe('checkOptions', () => {
  it('accepts valid options, leaving optional ones out', () => {
    expect(issuesOf({ groupId: 'g' })).toEqual([]);
    expect(
      issuesOf({
        groupId: 'g',
        maxConcurrency: 4,
        handle: async () => undefined,
        retry: { retries: 0 },
        deadLetter: false,
        store: { seen() {}, mark() {}, close() {} },
        topics: ['a'],
      }),
    ).toEqual([]);
  });

  it('says what is wrong with each option at once, by path', () => {
    const issues = issuesOf({ groupId: 42, maxConcurrency: 0, handle: 'fn', retry: { retries: -1 } });
    expect(issues).toEqual([
      { path: 'groupId', message: 'must be a non-empty string, got 42' },
      { path: 'maxConcurrency', message: 'must be an integer of at least 1, got 0' },
      { path: 'handle', message: 'must be a function (event, context) => Promise<void>, got a string' },
      { path: 'retry.retries', message: 'must be an integer of at least 0, got -1' },
    ]);
  });

  it('names a missing required option', () => {
    expect(issuesOf({})).toEqual([{ path: 'groupId', message: 'is required: give a non-empty string' }]);
  });

  it('refuses unknown keys and suggests the option meant', () => {
    const issues = issuesOf({
      groupId: 'g',
      groupID: 'g',
      maxConcurency: 3,
      lingerMs: 5,
      retry: { retrys: 1 },
      zzz: 1,
    });
    expect(issues).toEqual([
      { path: 'groupID', message: 'is not an option (did you mean groupId?)' },
      { path: 'maxConcurency', message: 'is not an option (did you mean maxConcurrency?)' },
      { path: 'lingerMs', message: 'is not an option (did you mean linger.ms?)' },
      { path: 'zzz', message: 'is not an option' },
      { path: 'retry.retrys', message: 'is not an option (did you mean retry.retries?)' },
    ]);
  });

  it('checks an either rule against the branch the value looks like', () => {
    expect(issuesOf({ groupId: 'g', deadLetter: { topic: 'x.dlq' } })).toEqual([
      { path: 'deadLetter.topic', message: 'must be a function (sourceTopic) => string, got a string' },
    ]);
    expect(issuesOf({ groupId: 'g', deadLetter: true })[0]?.message).toMatch(
      /^must be one of false or an object, got true$/,
    );
  });

  it('checks that an object has the methods a store needs, with a hint', () => {
    expect(issuesOf({ groupId: 'g', store: {} })).toEqual([
      {
        path: 'store',
        message:
          'must be a dedup store; an object lacks seen(), mark(), close() (wrap a Redis client with createRedisDedupStore)',
      },
    ]);
    expect(issuesOf({ groupId: 'g', store: 7 })[0]?.message).toBe(
      'must be a dedup store (an object with seen(), mark(), close()), got 7',
    );
  });

  it('checks array items', () => {
    expect(issuesOf({ groupId: 'g', topics: [] })[0]).toEqual({
      path: 'topics',
      message: 'must have at least 1 item(s), got 0',
    });
    expect(issuesOf({ groupId: 'g', topics: ['a', 3] })).toEqual([
      { path: 'topics[1]', message: 'must be a non-empty string, got 3' },
    ]);
  });

  it('refuses options that are not an object, naming the client', () => {
    for (const value of [null, undefined, 'x', [], 3]) {
      const error = (() => {
        try {
          checkOptions('producer', value, shape);
        } catch (caught) {
          return caught as InletValidationError;
        }
        return undefined;
      })();
      expect(error?.code).toBe(InletErrorCode.invalidOption);
      expect(error?.message).toMatch(/^invalid producer options: \(root\): must be an object, got /);
    }
  });

  it('runs cross-option checks only once every option is well-formed', () => {
    const extra = (options: Record<string, unknown>, issues: { path: string; message: string }[]) => {
      if ((options.maxConcurrency as number) > 10)
        issues.push({ path: 'maxConcurrency', message: 'too many' });
    };
    expect(() => checkOptions('consumer', { groupId: 'g', maxConcurrency: 11 }, shape, extra)).toThrow(
      'invalid consumer options: maxConcurrency: too many',
    );
    expect(() => checkOptions('consumer', { groupId: 3, maxConcurrency: 11 }, shape, extra)).toThrow(
      'invalid consumer options: groupId: must be a non-empty string, got 3',
    );
  });

  it('never echoes the text of a string option', () => {
    expect(() => checkOptions('registry', { groupId: 'g', maxConcurrency: 'hunter2-secret' }, shape)).toThrow(
      /got a string$/,
    );
    expect(describeValue('hunter2')).toBe('a string');
  });
});

describe('suggestKey', () => {
  it('suggests only close keys', () => {
    expect(suggestKey('GROUPID', shape)).toBe('groupId');
    expect(suggestKey('handel', shape)).toBe('handle');
    expect(suggestKey('completelyDifferent', shape)).toBeUndefined();
  });
});
