import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Redacted } from './redacted';

describe('Redacted', () => {
  const secret = Redacted.make('hunter2-very-secret');
  const holder = { sasl: { username: 'alice', password: secret } };

  it('never shows the secret when printed, serialised or interpolated', () => {
    expect(inspect(holder, { depth: 10 })).not.toContain('hunter2');
    expect(JSON.stringify(holder)).not.toContain('hunter2');
    expect(`${secret}`).toBe('<redacted>');
    expect(String(secret)).toBe('<redacted>');
    expect(Object.keys(secret)).toEqual([]);
  });

  it('gives the secret back only through Redacted.value', () => {
    expect(Redacted.value(secret)).toBe('hunter2-very-secret');
    expect(Redacted.make(secret)).toBe(secret);
  });
});
