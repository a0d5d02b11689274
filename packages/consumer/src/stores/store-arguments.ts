import { InletError, InletErrorCode } from '@inlet/core';

/** A mark's time to live as the whole, positive milliseconds both Redis and PostgreSQL take. */
export function ttlMillis(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `a dedup mark's ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`,
    );
  }
  return Math.max(1, Math.round(ttlMs));
}

/** Durable stores keep versions as integers (PostgreSQL `bigint`); reject what would not fit. */
export function checkEntityVersions(
  entries: readonly { readonly key: string; readonly version: number }[],
): void {
  for (const { version } of entries) {
    if (!Number.isSafeInteger(version)) {
      throw new InletError(
        InletErrorCode.validationFailed,
        `an entity version must be a safe integer, got ${String(version)}`,
      );
    }
  }
}

/** Rejects a client option that lacks a method the store calls. */
export function requireMethods(value: unknown, option: string, methods: readonly string[]): void {
  const missing =
    typeof value !== 'object' || value === null
      ? methods
      : methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function');
  if (missing.length > 0) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `${option} must be a client with ${methods.map((method) => `${method}()`).join(', ')}; missing ${missing.join(', ')}`,
    );
  }
}

/** Rejects a key prefix that is not a string. */
export function keyPrefix(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') {
    throw new InletError(InletErrorCode.invalidOption, `${option} must be a string, got ${typeof value}`);
  }
  return value;
}
