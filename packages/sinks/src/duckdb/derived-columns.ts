import { InletError, type TopicDefinition } from '@inlet/core';
import { derivedColumns, type LogicalType } from '../derived-columns';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

/** A column of the target table: its name and DuckDB type. */
export interface DuckDbColumn {
  readonly name: string;
  readonly type: string;
}

/** The columns every derived table has besides the data: the names the options can change. */
export interface MetaColumnNames {
  readonly key: string;
  readonly version: string;
  readonly eventId: string;
  readonly eventTime: string;
  readonly deleted: string;
}

/** The DuckDB type each derived column is created with. */
const duckDbTypes: Readonly<Record<LogicalType, string>> = {
  text: 'VARCHAR',
  timestamp: 'TIMESTAMPTZ',
  integer: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
  bytes: 'BLOB',
};

/** The DuckDB type of a column of this logical type. */
export const duckDbType = (type: LogicalType): string => duckDbTypes[type];

/** One data column: where its value comes from in the event's data. */
export interface DerivedDataColumn extends DuckDbColumn {
  readonly property: string;
}

/**
 * The data columns of the topics' events: every top-level property of every event definition,
 * once, in snake_case, typed from its schema, in the order first seen. Refused (as the PostgreSQL
 * sink does) with `INLET_DUCKDB_COLUMN_CONFLICT`: two properties meeting in one column, one
 * property typed two ways, or a property landing on a column the sink keeps for itself; map the
 * columns yourself then.
 */
export function derivedDataColumns(
  topics: readonly TopicDefinition[],
  reserved: readonly string[] = [],
): DerivedDataColumn[] {
  return derivedColumns(topics, {
    reserved,
    typeName: duckDbType,
    conflict: (message) => new InletError(DuckDbSinkErrorCode.columnConflict, message),
  }).map((column) => ({ ...column, type: duckDbType(column.type) }));
}

/** The meta columns' types, as a derived table has them. */
export function metaColumns(names: MetaColumnNames): DuckDbColumn[] {
  return [
    { name: names.key, type: 'VARCHAR' },
    { name: names.version, type: 'BIGINT' },
    { name: names.eventId, type: 'VARCHAR' },
    { name: names.eventTime, type: 'TIMESTAMPTZ' },
    { name: names.deleted, type: 'BOOLEAN' },
  ];
}
