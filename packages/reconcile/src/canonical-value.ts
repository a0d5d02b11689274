import { InletError } from '@inlet/core';
import { decimalText, ExactDecimal, numberText } from './exact-json';
import { ReconcileErrorCode } from './reconcile-error-code';

/**
 * `\`, `|` and `=` are escaped so that a row's canonical text has exactly one reading: fields are
 * separated by `|`, a field's name from its value by `=`. The SQL side escapes the same way.
 */
export function escapeCanonical(text: string): string {
  return text.replace(/[\\|=]/g, (found) => `\\${found}`);
}

// jsonb's own key order (shorter UTF-8 first, then bytewise), so that PostgreSQL prints it as is.
function jsonbKeyOrder(a: string, b: string): number {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length - right.length || Buffer.compare(left, right);
}

/**
 * A value as PostgreSQL prints it as jsonb (`{"a": 1, "b": [true, null]}`: keys in jsonb's order,
 * `, ` and `: ` between, strings escaped as `to_jsonb(text)` does), numbers in canonical decimal.
 */
export function jsonbText(value: unknown, column = '(value)'): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // to_jsonb(float8) writes NaN and the infinities as strings.
      return Number.isFinite(value) ? numberText(value) : JSON.stringify(String(value));
    case 'bigint':
      return value.toString();
    case 'boolean':
      return String(value);
    case 'object': {
      if (value instanceof ExactDecimal) return decimalText(value.text);
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (value instanceof Uint8Array) return JSON.stringify(`\\x${Buffer.from(value).toString('hex')}`);
      if (Array.isArray(value)) return `[${value.map((item) => jsonbText(item, column)).join(', ')}]`;
      const record = value as Record<string, unknown>;
      const entries = Object.keys(record)
        .filter((name) => record[name] !== undefined)
        .sort(jsonbKeyOrder)
        .map((name) => `${JSON.stringify(name)}: ${jsonbText(record[name], column)}`);
      return `{${entries.join(', ')}}`;
    }
    default:
      throw new InletError(
        ReconcileErrorCode.uncomparableType,
        `column "${column}" holds a ${typeof value}, which has no canonical form`,
      );
  }
}

/**
 * One value in canonical form: a one-letter type tag, then its text. `n` alone is null (and
 * undefined); `s` a string (times as ISO 8601 UTC with milliseconds, bytes as `\x` + hex); `d` a
 * number as a positional decimal without trailing zeros (5, 5n, 5.0 and 5e0 are equal; NaN,
 * Infinity, -Infinity named); `b` a boolean (`t`/`f`); `j` an object or array as `jsonbText`.
 * The tag keeps `1` and `'1'`, `null` and `''`, `true` and `'t'` apart.
 */
export function canonicalValue(value: unknown, column = '(value)'): string {
  if (value === null || value === undefined) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${escapeCanonical(value)}`;
    case 'number':
      return `d${numberText(value)}`;
    case 'bigint':
      return `d${value.toString()}`;
    case 'boolean':
      return value ? 'bt' : 'bf';
    case 'object':
      if (value instanceof ExactDecimal) return `d${decimalText(value.text)}`;
      if (value instanceof Date) return `s${value.toISOString()}`;
      if (value instanceof Uint8Array)
        return `s${escapeCanonical(`\\x${Buffer.from(value).toString('hex')}`)}`;
      return `j${escapeCanonical(jsonbText(value, column))}`;
    default:
      throw new InletError(
        ReconcileErrorCode.uncomparableType,
        `column "${column}" holds a ${typeof value}, which has no canonical form`,
      );
  }
}
