import { describe, expect, it } from 'vitest';
import { parseRegistryUrl, redactUrlText } from './registry-url';

describe('redactUrlText', () => {
  it.each([
    ['http://user:pw@host:8081/apis', 'http://user:***@host:8081/apis'],
    ['http://user:p@w/x@host/apis', 'http://user:***@host/apis'],
    ['user:pw@host', 'user:***@host'],
    ['http://user@host', 'http://user@host'],
    ['http://host/apis?token=t0k&debug', 'http://host/apis?token=***&***'],
    ['http://host/apis?', 'http://host/apis?'],
    ['http://host/apis#t0k', 'http://host/apis#***'],
    ['http://u:pw@host/apis?token=t0k#frag', 'http://u:***@host/apis?token=***#***'],
    ['http://host:8081/apis', 'http://host:8081/apis'],
  ])('shows %s as %s', (text, shown) => {
    expect(redactUrlText(text)).toBe(shown);
  });
});

describe('parseRegistryUrl', () => {
  it('keeps origin and path, without trailing slashes, credentials apart', () => {
    const parsed = parseRegistryUrl('https://ci%2Buser:s%2Fcret@registry.example:8443/apis/ccompat/v7//');
    expect(parsed.baseUrl).toBe('https://registry.example:8443/apis/ccompat/v7');
    expect(parsed.shownUrl).toBe('https://ci%2Buser:***@registry.example:8443/apis/ccompat/v7');
    expect(parsed.credentials?.username).toBe('ci+user');
    expect(String(parsed.credentials?.password)).toBe('<redacted>');
  });

  it('has no credentials for a plain URL', () => {
    expect(parseRegistryUrl('http://localhost:8081')).toEqual({
      baseUrl: 'http://localhost:8081',
      shownUrl: 'http://localhost:8081',
      credentials: undefined,
    });
  });
});
