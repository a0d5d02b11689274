import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DOUBLE,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  type DuckDBValue,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { InletError } from '@inlet/core';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

/**
 * How values of one table column are written: `convert` checks and converts a JavaScript value
 * (throwing a row rejection for one that does not fit) into what a vector of `vectorType` holds.
 * Rows are written as data chunks of those vectors: far fewer calls into DuckDB than a value at a
 * time, and a refused value never leaves half a row behind. Types without a conversion here
 * (DATE, UUID, lists…) travel as text, which the appender casts.
 */
export interface ColumnValue {
  readonly name: string;
  readonly type: string;
  readonly vectorType: DuckDBType;
  convert(value: unknown): DuckDBValue;
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
  const make = (vectorType: DuckDBType, convert: (value: unknown) => DuckDBValue): ColumnValue => ({
    name,
    type,
    vectorType,
    convert: (value) => (value === undefined || value === null ? null : convert(value)),
  });
  if (base === 'BOOLEAN')
    return make(BOOLEAN, (value) => (typeof value === 'boolean' ? value : refuse(name, type, value)));
  if (integerTypes.has(base)) return make(BIGINT, (value) => toBigInt(name, type, value));
  if (floatTypes.has(base) || base.startsWith('DECIMAL'))
    return make(DOUBLE, (value) =>
      typeof value === 'number' && Number.isFinite(value) ? value : refuse(name, type, value),
    );
  if (base === 'TIMESTAMP WITH TIME ZONE' || base === 'TIMESTAMPTZ')
    return make(TIMESTAMPTZ, (value) => new DuckDBTimestampTZValue(toMicros(name, type, value)));
  if (base === 'TIMESTAMP')
    return make(TIMESTAMP, (value) => new DuckDBTimestampValue(toMicros(name, type, value)));
  if (base === 'JSON') return make(VARCHAR, jsonText);
  if (base === 'BLOB')
    return make(BLOB, (value) =>
      value instanceof Uint8Array ? blobValue(value) : refuse(name, type, value),
    );
  return make(VARCHAR, (value) =>
    typeof value === 'string'
      ? value
      : value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? jsonText(value)
          : String(value),
  );
}
