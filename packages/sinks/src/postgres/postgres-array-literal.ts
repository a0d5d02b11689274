const needsEscape = /["\\]/;
const escaped = /["\\]/g;

/**
 * A column's values as a PostgreSQL array literal (`{"a","b\"c",NULL,3,t}`), the text the
 * server parses a `$1::text[]` parameter from. Built here rather than by node-postgres's generic
 * array serialisation, which escapes every element with two regular expressions: numbers and
 * booleans go bare, strings are quoted and escaped only when they hold `"` or `\`.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let literal = '{';
  for (let index = 0; index < values.length; index += 1) {
    if (index > 0) literal += ',';
    const value = values[index];
    if (value === null || value === undefined) literal += 'NULL';
    else if (typeof value === 'number') literal += Number.isFinite(value) ? String(value) : `"${value}"`;
    else if (typeof value === 'boolean') literal += value ? 't' : 'f';
    else {
      const text = typeof value === 'string' ? value : String(value);
      literal += needsEscape.test(text) ? `"${text.replace(escaped, '\\$&')}"` : `"${text}"`;
    }
  }
  return `${literal}}`;
}
