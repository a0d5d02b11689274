import { InletError, InletErrorCode } from '@inlet/core';

/** The error for a bad option or argument; `path` names it as the caller wrote it. */
export function invalidOption(path: string, problem: string): InletError {
  return new InletError(InletErrorCode.invalidOption, `invalid ${path}: ${problem}`);
}

export function checkIntegerInRange(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw invalidOption(path, `expected an integer ${range}, got ${String(value)}`);
  }
  return value;
}

export function checkPositiveInteger(value: unknown, path: string): number {
  return checkIntegerInRange(value, path, 1, Number.MAX_SAFE_INTEGER);
}

export function checkOneOf<T extends string | number | boolean>(
  value: unknown,
  allowed: readonly T[],
  path: string,
): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw invalidOption(path, `expected one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}`);
  }
  return value as T;
}

export function checkNonEmptyString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalidOption(path, 'expected a non-empty string');
  return value;
}
