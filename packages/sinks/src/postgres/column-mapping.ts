import type { TopicDefinition } from '@inlet/core';
import { type DerivedColumn, derivedColumns, type LogicalType } from '../derived-columns';
import { InletPostgresSinkError } from './postgres-error-classes';
import { PostgresSinkErrorCode } from './postgres-sink-error-code';

/** A column the sink derives from a top-level property of the events' schemas, with its PostgreSQL type. */
export type DataColumn = DerivedColumn<string>;

/** The PostgreSQL type each derived column is created with. */
const postgresTypes: Readonly<Record<LogicalType, string>> = {
  text: 'text',
  timestamp: 'timestamptz',
  integer: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  json: 'jsonb',
  bytes: 'bytea',
};

/** The PostgreSQL type of a column of this logical type. */
export const postgresType = (type: LogicalType): string => postgresTypes[type];

/**
 * The data columns of the events of these topics (see `derivedColumns`), each with its PostgreSQL
 * type; a conflict is refused with `INLET_POSTGRES_SINK_COLUMN_CONFLICT`.
 */
export function dataColumnsOf(topics: readonly TopicDefinition[], reserved: readonly string[]): DataColumn[] {
  return derivedColumns(topics, {
    reserved,
    typeName: postgresType,
    conflict: (message) =>
      new InletPostgresSinkError(PostgresSinkErrorCode.columnConflict, message, undefined),
  }).map((column) => ({ ...column, type: postgresType(column.type) }));
}

/** A value as the parameter of a column of this type: JSON as text, times in ISO form. */
export function columnValue(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (type === 'json' || type === 'jsonb') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

const toJson = (value: unknown): unknown =>
  value === undefined || value === null ? null : JSON.stringify(value);
const toParameter = (value: unknown): unknown => columnValue(value, '');

/** How values of a column of this type become parameters, chosen once per column. */
export function converterFor(type: string): (value: unknown) => unknown {
  return type === 'json' || type === 'jsonb' ? toJson : toParameter;
}
