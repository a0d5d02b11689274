import { describe, expect, it } from 'vitest';
import { closest, editDistance, parseArgs } from './parse-args';
import { UsageError } from './usage-error';

const specs = {
  group: { type: 'string' },
  limit: { type: 'number' },
  json: { type: 'boolean' },
  topic: { type: 'strings' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usageMessage(args: readonly string[]): string {
  try {
    parseArgs(args, specs);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error('expected a usage error');
}

describe('parseArgs', () => {
  it('reads values, booleans, repeated flags, short flags and positionals', () => {
    const { flags, positionals } = parseArgs(
      ['a', '--group', 'g', '--limit=5', '--json', '--topic', 't1', '--topic=t2', '-h', '--', '--not-a-flag'],
      specs,
    );
    expect(flags).toEqual({ group: 'g', limit: 5, json: true, topic: ['t1', 't2'], help: true });
    expect(positionals).toEqual(['a', '--not-a-flag']);
  });

  it('takes --no-<flag> for booleans and negative numbers as values', () => {
    expect(parseArgs(['--no-json', '--limit', '-3'], specs).flags).toEqual({ json: false, limit: -3 });
  });

  it('refuses an unknown flag, suggesting the closest', () => {
    expect(usageMessage(['--gruop', 'g'])).toBe('unknown flag --gruop (did you mean --group?)');
    expect(usageMessage(['--limt=3'])).toBe('unknown flag --limt (did you mean --limit?)');
    expect(usageMessage(['--zzzzzzzz'])).toBe('unknown flag --zzzzzzzz');
    expect(usageMessage(['-x'])).toBe('unknown flag -x');
    expect(usageMessage(['--no-group'])).toContain('unknown flag --no-group');
  });

  it('refuses a missing value', () => {
    expect(usageMessage(['--group'])).toBe('--group needs a value');
    expect(usageMessage(['--group', '--json'])).toBe('--group needs a value');
  });

  it('refuses a value of the wrong type', () => {
    expect(usageMessage(['--limit', 'ten'])).toBe('--limit expects a number, got "ten"');
    expect(usageMessage(['--limit='])).toBe('--limit expects a number, got ""');
    expect(usageMessage(['--json=yes'])).toBe('--json takes no value');
  });
});

describe('closest', () => {
  it('suggests only near misses', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closest('lga', ['lag', 'tail', 'replay'])).toBe('lag');
    expect(closest('redrvie', ['list', 'show', 'redrive'])).toBe('redrive');
    expect(closest('completely-else', ['lag', 'tail'])).toBeUndefined();
  });
});
