import { type DuckDBAppender, DuckDBTimestampTZValue, DuckDBTimestampValue } from '@duckdb/node-api';
import { InletError } from '@inlet/core';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

/**
 * How values of one table column are appended: `convert` checks and converts a JavaScript value
 * (throwing a row rejection for one that does not fit), `append` hands the converted value to the
 * appender. Converting a whole row before appending any of it keeps a refused value from leaving
 * half a row in the appender.
 */
export interface ColumnValue {
  readonly name: string;
  readonly type: string;
  convert(value: unknown): unknown;
  append(appender: DuckDBAppender, converted: unknown): void;
}

function refuse(column: string, type: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value);
  throw new InletError(
    DuckDbSinkErrorCode.rowRejected,
    `column "${column}" (${type}) cannot hold ${typeof value} ${shown}`,
  );
}

function toBigInt(column: string, type: string, value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return refuse(column, type, value);
}

function toMicros(column: string, type: string, value: unknown): bigint {
  const millis =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string'
        ? Date.parse(value)
        : typeof value === 'number'
          ? value
          : Number.NaN;
  if (!Number.isFinite(millis)) return refuse(column, type, value);
  return BigInt(Math.trunc(millis)) * 1000n;
}

function jsonText(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
}

const integerTypes = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);
const floatTypes = new Set(['FLOAT', 'REAL', 'DOUBLE']);

/** The conversion for a column of the given DuckDB type (as `information_schema.columns` spells it). */
export function columnValue(name: string, type: string): ColumnValue {
  const base = type.toUpperCase();
  const make = (
    convert: (value: unknown) => unknown,
    append: (appender: DuckDBAppender, converted: unknown) => void,
  ): ColumnValue => ({
    name,
    type,
    convert: (value) => (value === undefined || value === null ? null : convert(value)),
    append: (appender, converted) =>
      converted === null ? appender.appendNull() : append(appender, converted),
  });
  if (base === 'BOOLEAN')
    return make(
      (value) => (typeof value === 'boolean' ? value : refuse(name, type, value)),
      (appender, converted) => appender.appendBoolean(converted as boolean),
    );
  if (integerTypes.has(base))
    return make(
      (value) => toBigInt(name, type, value),
      (appender, converted) => appender.appendBigInt(converted as bigint),
    );
  if (floatTypes.has(base) || base.startsWith('DECIMAL'))
    return make(
      (value) => (typeof value === 'number' && Number.isFinite(value) ? value : refuse(name, type, value)),
      (appender, converted) => appender.appendDouble(converted as number),
    );
  if (base === 'TIMESTAMP WITH TIME ZONE' || base === 'TIMESTAMPTZ')
    return make(
      (value) => new DuckDBTimestampTZValue(toMicros(name, type, value)),
      (appender, converted) => appender.appendTimestampTZ(converted as DuckDBTimestampTZValue),
    );
  if (base === 'TIMESTAMP')
    return make(
      (value) => new DuckDBTimestampValue(toMicros(name, type, value)),
      (appender, converted) => appender.appendTimestamp(converted as DuckDBTimestampValue),
    );
  if (base === 'JSON')
    return make(jsonText, (appender, converted) => appender.appendVarchar(converted as string));
  // VARCHAR, and what DuckDB casts from text itself (DATE, UUID, ENUM, lists...).
  return make(
    (value) =>
      typeof value === 'string'
        ? value
        : typeof value === 'object' && !(value instanceof Date)
          ? jsonText(value)
          : value instanceof Date
            ? value.toISOString()
            : String(value),
    (appender, converted) => appender.appendVarchar(converted as string),
  );
}
