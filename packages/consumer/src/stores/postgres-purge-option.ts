import { InletError, InletErrorCode } from '@inlet/core';
import { defaultPurgeIntervalMs } from './postgres-dedup-table';

/** The validated `purgeIntervalMs` option: milliseconds, or false for never. */
export function purgeIntervalOption(value: unknown): number | false {
  if (value === undefined) return defaultPurgeIntervalMs;
  if (value === false) return false;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `purgeIntervalMs must be a non-negative number of milliseconds or false, got ${String(value)}`,
    );
  }
  return value;
}
