import { InletError } from '@inlet/core';
import { ReconcileErrorCode } from './reconcile-error-code';

/**
 * `\`, `|` and `=` are escaped so that a row's canonical text has exactly one reading: fields are
 * separated by `|`, a field's name from its value by `=`. The SQL side escapes the same way.
 */
export function escapeCanonical(text: string): string {
  return text.replace(/[\\|=]/g, (found) => `\\${found}`);
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
      .map((name) => `${JSON.stringify(name)}:${sortedJson((value as Record<string, unknown>)[name])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * One value in canonical form: a one-letter type tag, then its text. `n` alone is null (and
 * undefined); `s` a string (times as ISO 8601 UTC with milliseconds, bytes as `\x` + hex); `d` a
 * number in its shortest round-trip decimal (bigints alike, so 5 and 5n are equal); `b` a boolean
 * (`t`/`f`); `j` an object or array as JSON with sorted keys. The tag keeps `1` and `'1'`, `null`
 * and `''`, `true` and `'t'` apart.
 */
export function canonicalValue(value: unknown, column = '(value)'): string {
  if (value === null || value === undefined) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${escapeCanonical(value)}`;
    case 'number':
      return `d${String(value)}`;
    case 'bigint':
      return `d${value.toString()}`;
    case 'boolean':
      return value ? 'bt' : 'bf';
    case 'object':
      if (value instanceof Date) return `s${value.toISOString()}`;
      if (value instanceof Uint8Array)
        return `s${escapeCanonical(`\\x${Buffer.from(value).toString('hex')}`)}`;
      return `j${escapeCanonical(sortedJson(value))}`;
    default:
      throw new InletError(
        ReconcileErrorCode.uncomparableType,
        `column "${column}" holds a ${typeof value}, which has no canonical form`,
      );
  }
}
