import { generateKeyPairSync } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { inspect } from 'node:util';
import { InletErrorCode, InletValidationError, Redacted } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { type KafkaConnectionOptions, resolveConnectionOptions } from './connection-options';

const secret = 'hunter2-kafka-secret';

const encryptedKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
  cipher: 'aes-256-cbc',
  passphrase: 'KEY-PASSPHRASE',
}) as string;

/** The base64 lines of a PEM, the part that must never print. */
function keyBody(pem: string): string {
  return pem.split('\n').slice(1, 3).join('\n');
}

function issuesOf(options: unknown): { path: string; message: string }[] {
  try {
    resolveConnectionOptions(options as KafkaConnectionOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InletValidationError);
    expect((error as InletValidationError).code).toBe(InletErrorCode.invalidOption);
    return (error as InletValidationError).issues.map((issue) => ({ ...issue }));
  }
  throw new Error('expected the options to be rejected');
}

describe('resolveConnectionOptions', () => {
  it('fills in the defaults', () => {
    const resolved = resolveConnectionOptions({ brokers: ['127.0.0.1:9092'] });
    expect(resolved).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      clientId: 'inlet',
      ssl: false,
      sasl: undefined,
      connectionTimeoutMs: 3_000,
      requestTimeoutMs: 30_000,
      retry: { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 },
    });
  });

  it('keeps what was given and wraps the password', () => {
    const resolved = resolveConnectionOptions({
      brokers: ['a:1', 'b:2'],
      clientId: 'orders',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: secret },
      connectionTimeoutMs: 500,
      requestTimeoutMs: 1_000,
      retry: { retries: 0, initialRetryTimeMs: 10, maxRetryTimeMs: 20 },
    });
    expect(resolved.sasl?.password).toBeInstanceOf(Redacted);
    expect(Redacted.value(resolved.sasl?.password as Redacted)).toBe(secret);
    expect(resolved.retry).toEqual({ retries: 0, initialRetryTimeMs: 10, maxRetryTimeMs: 20 });
    expect(resolved.ssl).toBe(true);
  });

  it('accepts a password that is already Redacted', () => {
    const password = Redacted.make(secret);
    const resolved = resolveConnectionOptions({
      brokers: ['a:1'],
      sasl: { mechanism: 'plain', username: 'alice', password },
    });
    expect(resolved.sasl?.password).toBe(password);
  });

  it.each([
    [{}, '/brokers'],
    [{ brokers: [] }, '/brokers'],
    [{ brokers: ['localhost'] }, '/brokers/0'],
    [{ brokers: ['a:1', 'b:99999'] }, '/brokers/1'],
    [{ brokers: ['a:1'], clientId: '' }, '/clientId'],
    [{ brokers: ['a:1'], ssl: 'yes' }, '/ssl'],
    [{ brokers: ['a:1'], sasl: 'alice:pw' }, '/sasl'],
    [{ brokers: ['a:1'], sasl: { mechanism: 'PLAIN', username: 'a', password: 'p' } }, '/sasl/mechanism'],
    [{ brokers: ['a:1'], sasl: { mechanism: 'plain', username: '', password: 'p' } }, '/sasl/username'],
    [{ brokers: ['a:1'], sasl: { mechanism: 'plain', username: 'a', password: 42 } }, '/sasl/password'],
    [{ brokers: ['a:1'], connectionTimeoutMs: 0 }, '/connectionTimeoutMs'],
    [{ brokers: ['a:1'], requestTimeoutMs: 1.5 }, '/requestTimeoutMs'],
    [{ brokers: ['a:1'], retry: { retries: -1 } }, '/retry/retries'],
    [{ brokers: ['a:1'], retry: { initialRetryTimeMs: 100, maxRetryTimeMs: 50 } }, '/retry/maxRetryTimeMs'],
  ])('rejects %j naming %s', (options, path) => {
    expect(issuesOf(options).map((issue) => issue.path)).toContain(path);
  });

  it('reports every bad option at once', () => {
    const paths = issuesOf({ brokers: ['nope'], clientId: 3, requestTimeoutMs: -1 }).map(
      (issue) => issue.path,
    );
    expect(paths).toEqual(['/brokers/0', '/clientId', '/requestTimeoutMs']);
  });

  it('never repeats a rejected password in the error', () => {
    const password = `${secret}\u0000`;
    let error: unknown;
    try {
      resolveConnectionOptions({
        brokers: ['a:1'],
        sasl: { mechanism: 'oauth' as 'plain', username: 'alice', password },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InletValidationError);
    expect(inspect(error, { depth: 10 })).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it('never prints the password or a TLS private key', () => {
    const resolved = resolveConnectionOptions({
      brokers: ['a:1'],
      ssl: { ca: 'PUBLIC-CA', key: encryptedKey, passphrase: 'KEY-PASSPHRASE' },
      sasl: { mechanism: 'plain', username: 'alice', password: secret },
    });
    for (const printed of [inspect(resolved, { depth: 10, showHidden: false }), JSON.stringify(resolved)]) {
      expect(printed).not.toContain(secret);
      expect(printed).not.toContain(keyBody(encryptedKey));
      expect(printed).not.toContain('KEY-PASSPHRASE');
      expect(printed).toContain('alice');
      expect(printed).toContain('PUBLIC-CA');
    }
    // The TLS options themselves are handed to the client untouched.
    expect(resolved.ssl).toMatchObject({ key: encryptedKey });
  });

  describe('TLS keys and certificates', () => {
    function sslIssue(ssl: object): string {
      const issues = issuesOf({ brokers: ['a:1'], ssl });
      expect(issues.map((issue) => issue.path)).toEqual(['/ssl']);
      return (issues[0] as { message: string }).message;
    }

    it('refuses a key that does not load, saying why, without printing it', () => {
      const broken = `-----BEGIN PRIVATE KEY-----\n${keyBody(encryptedKey).slice(0, 40)}\n`;
      const message = sslIssue({ key: broken });
      expect(message).toMatch(/cannot load these options.*DECODER routines/);
      expect(message).not.toContain(keyBody(encryptedKey).slice(0, 40));
    });

    it('refuses a certificate that does not load', () => {
      expect(
        sslIssue({ key: encryptedKey, passphrase: 'KEY-PASSPHRASE', cert: 'not a certificate' }),
      ).toMatch(/PEM routines::no start line/);
    });

    it('refuses a wrong passphrase without printing either passphrase', () => {
      const message = sslIssue({ key: encryptedKey, passphrase: 'WRONG-PASSPHRASE' });
      expect(message).toMatch(/bad decrypt/);
      expect(message).not.toContain('PASSPHRASE');
    });

    it('refuses options of the wrong type without printing their values', () => {
      const message = sslIssue({ key: encryptedKey, passphrase: 987_654_321 });
      expect(message).toMatch(/passphrase/);
      expect(message).not.toContain('987654321');
    });

    it('takes a key that loads, and a secure context as it is', () => {
      expect(() =>
        resolveConnectionOptions({
          brokers: ['a:1'],
          ssl: { key: encryptedKey, passphrase: 'KEY-PASSPHRASE' },
        }),
      ).not.toThrow();
      const secureContext = createSecureContext({});
      expect(resolveConnectionOptions({ brokers: ['a:1'], ssl: { secureContext } }).ssl).toEqual({
        secureContext,
      });
    });
  });

  it('returns frozen options', () => {
    const resolved = resolveConnectionOptions({ brokers: ['a:1'] });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.brokers)).toBe(true);
  });
});
