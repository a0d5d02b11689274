import {
  createSecureContext,
  type SecureContextOptions,
  type ConnectionOptions as TlsConnectionOptions,
} from 'node:tls';
import { inspect } from 'node:util';
import { InletErrorCode, InletValidationError, Redacted, type ValidationIssue } from '@inlet/core';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export const saslMechanisms: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

export interface SaslOptions {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  /** Wrapped in {@link Redacted} when the options are resolved, so it never prints. */
  readonly password: string | Redacted;
}

export interface ConnectionRetryOptions {
  /** How often a failed request is tried again. Default 5. */
  readonly retries?: number;
  /** The wait before the first retry; it doubles (with jitter) each time. Default 300 ms. */
  readonly initialRetryTimeMs?: number;
  /** The longest single wait. Default 30 000 ms. */
  readonly maxRetryTimeMs?: number;
}

/** How to reach and log in to a Kafka cluster. */
export interface KafkaConnectionOptions {
  /** Bootstrap brokers as `host:port`. */
  readonly brokers: readonly string[];
  /** Sent to the brokers with every request (quotas, logs). Default `inlet`. */
  readonly clientId?: string;
  /** TLS: `true` for the system's trusted CAs, or Node's TLS options (e.g. `{ ca }`). Default off. */
  readonly ssl?: boolean | TlsConnectionOptions;
  readonly sasl?: SaslOptions;
  /** How long opening a connection may take. Default 3 000 ms. */
  readonly connectionTimeoutMs?: number;
  /** How long the client waits for any one response. Default 30 000 ms. */
  readonly requestTimeoutMs?: number;
  readonly retry?: ConnectionRetryOptions;
}

export interface ResolvedSaslOptions {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: Redacted;
}

/** Connection options after validation, with every default filled in. */
export interface ResolvedKafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean | TlsConnectionOptions;
  readonly sasl: ResolvedSaslOptions | undefined;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retry: Required<ConnectionRetryOptions>;
}

export const connectionDefaults = {
  clientId: 'inlet',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
  retry: { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 },
} as const;

// Secret-bearing fields of Node's TLS options.
const tlsSecretKeys = ['key', 'passphrase', 'pfx'] as const;

type Issues = ValidationIssue[];

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function brokerIssue(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a "host:port" string';
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon);
  const port = Number(value.slice(colon + 1));
  if (colon <= 0 || /\s/.test(host) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    return `must be "host:port", got "${value}"`;
  }
  return undefined;
}

function readBrokers(value: unknown, issues: Issues): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({ path: '/brokers', message: 'must be a non-empty array of "host:port" strings' });
    return [];
  }
  value.forEach((broker: unknown, index) => {
    const message = brokerIssue(broker);
    if (message !== undefined) issues.push({ path: `/brokers/${index}`, message });
  });
  return value.map(String);
}

function readPositiveInteger(
  value: unknown,
  path: string,
  fallback: number,
  issues: Issues,
  minimum = 1,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    issues.push({ path, message: `must be an integer of at least ${minimum}` });
    return fallback;
  }
  return value;
}

function readNonEmptyString(value: unknown, path: string, issues: Issues): string {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push({ path, message: 'must be a non-empty string' });
    return '';
  }
  return value;
}

// Node's own messages for a bad option repeat the value ("Received type number (1234)"), which
// may be a passphrase; only what precedes that is kept. OpenSSL's reasons name no secret.
function tlsLoadProblem(error: unknown, secrets: readonly string[]): string {
  const code = (error as { code?: unknown }).code;
  let reason = (error instanceof Error ? error.message : String(error)).split(/\.? Received /)[0] ?? '';
  for (const secret of secrets) if (secret.length > 0) reason = reason.replaceAll(secret, '<redacted>');
  return typeof code === 'string' && !reason.includes(code) ? `${reason} (${code})` : reason;
}

function secretTexts(options: Readonly<Record<string, unknown>>): string[] {
  return tlsSecretKeys
    .map((key) => options[key])
    .filter((value): value is string | Buffer => typeof value === 'string' || Buffer.isBuffer(value))
    .map((value) => value.toString());
}

// Loading the key, certificate and CA here makes a broken one an option error when the
// transport is made; kafkajs would meet it at every connection attempt and retry each.
function checkTlsLoads(options: Readonly<Record<string, unknown>>, issues: Issues): void {
  if (options.secureContext !== undefined) return;
  try {
    createSecureContext(options as SecureContextOptions);
  } catch (error) {
    issues.push({
      path: '/ssl',
      message:
        `Node's TLS cannot load these options: ${tlsLoadProblem(error, secretTexts(options))}; ` +
        'expected key, cert and ca as PEM (or pfx with its passphrase), a key matching its certificate',
    });
  }
}

function readSsl(value: unknown, issues: Issues): boolean | TlsConnectionOptions {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (isPlainObject(value)) {
    checkTlsLoads(value, issues);
    return value as TlsConnectionOptions;
  }
  issues.push({ path: '/ssl', message: 'must be a boolean or Node TLS connection options' });
  return false;
}

function readSasl(value: unknown, issues: Issues): ResolvedSaslOptions | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    issues.push({ path: '/sasl', message: 'must be an object with mechanism, username and password' });
    return undefined;
  }
  const mechanism = value.mechanism;
  if (!saslMechanisms.includes(mechanism as SaslMechanism)) {
    issues.push({ path: '/sasl/mechanism', message: `must be one of ${saslMechanisms.join(', ')}` });
  }
  const username = readNonEmptyString(value.username, '/sasl/username', issues);
  const password = value.password;
  const passwordOk = password instanceof Redacted || (typeof password === 'string' && password.length > 0);
  // The message never repeats the value: it may be the secret itself.
  if (!passwordOk) issues.push({ path: '/sasl/password', message: 'must be a non-empty string or Redacted' });
  return {
    mechanism: mechanism as SaslMechanism,
    username,
    password: Redacted.make(passwordOk ? (password as string | Redacted) : ''),
  };
}

function readRetry(value: unknown, issues: Issues): Required<ConnectionRetryOptions> {
  const defaults = connectionDefaults.retry;
  if (value === undefined) return { ...defaults };
  if (!isPlainObject(value)) {
    issues.push({ path: '/retry', message: 'must be an object' });
    return { ...defaults };
  }
  const retries = readPositiveInteger(value.retries, '/retry/retries', defaults.retries, issues, 0);
  const initialRetryTimeMs = readPositiveInteger(
    value.initialRetryTimeMs,
    '/retry/initialRetryTimeMs',
    defaults.initialRetryTimeMs,
    issues,
  );
  const maxRetryTimeMs = readPositiveInteger(
    value.maxRetryTimeMs,
    '/retry/maxRetryTimeMs',
    Math.max(defaults.maxRetryTimeMs, initialRetryTimeMs),
    issues,
  );
  if (maxRetryTimeMs < initialRetryTimeMs) {
    issues.push({ path: '/retry/maxRetryTimeMs', message: 'must not be less than initialRetryTimeMs' });
  }
  return { retries, initialRetryTimeMs, maxRetryTimeMs };
}

/** What the options look like when printed or serialised: no password, no TLS private key. */
export function describeConnectionOptions(options: ResolvedKafkaConnectionOptions): Record<string, unknown> {
  let ssl: unknown = options.ssl;
  if (typeof options.ssl === 'object') {
    const shown: Record<string, unknown> = { ...options.ssl };
    for (const key of tlsSecretKeys) if (shown[key] !== undefined) shown[key] = '<redacted>';
    ssl = shown;
  }
  return {
    brokers: options.brokers,
    clientId: options.clientId,
    ssl,
    sasl: options.sasl && { ...options.sasl, password: '<redacted>' },
    connectionTimeoutMs: options.connectionTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    retry: options.retry,
  };
}

/** Makes `inspect()` and `JSON.stringify()` of `target` show `view()` instead of its fields. */
export function printSafely<T extends object>(target: T, view: () => unknown): T {
  Object.defineProperty(target, 'toJSON', { value: view, enumerable: false });
  Object.defineProperty(target, inspect.custom, {
    value: (depth: number, inspectOptions: object) => inspect(view(), { ...inspectOptions, depth }),
    enumerable: false,
  });
  return target;
}

/**
 * Validates connection options and fills in the defaults. Throws an `INLET_INVALID_OPTION`
 * {@link InletValidationError} whose issues name every bad option by path (`/sasl/mechanism`).
 * The password comes back as {@link Redacted}; the result never prints it.
 */
export function resolveConnectionOptions(options: KafkaConnectionOptions): ResolvedKafkaConnectionOptions {
  const input: unknown = options;
  if (!isPlainObject(input)) {
    throw new InletValidationError(InletErrorCode.invalidOption, undefined, [
      { path: '', message: 'connection options must be an object' },
    ]);
  }
  const issues: Issues = [];
  const resolved: ResolvedKafkaConnectionOptions = {
    brokers: Object.freeze(readBrokers(input.brokers, issues)),
    clientId:
      input.clientId === undefined
        ? connectionDefaults.clientId
        : readNonEmptyString(input.clientId, '/clientId', issues),
    ssl: readSsl(input.ssl, issues),
    sasl: readSasl(input.sasl, issues),
    connectionTimeoutMs: readPositiveInteger(
      input.connectionTimeoutMs,
      '/connectionTimeoutMs',
      connectionDefaults.connectionTimeoutMs,
      issues,
    ),
    requestTimeoutMs: readPositiveInteger(
      input.requestTimeoutMs,
      '/requestTimeoutMs',
      connectionDefaults.requestTimeoutMs,
      issues,
    ),
    retry: Object.freeze(readRetry(input.retry, issues)),
  };
  if (issues.length > 0) throw new InletValidationError(InletErrorCode.invalidOption, undefined, issues);
  return Object.freeze(printSafely(resolved, () => describeConnectionOptions(resolved)));
}
