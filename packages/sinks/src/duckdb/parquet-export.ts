import type { DuckDBConnection } from '@duckdb/node-api';
import { checkOptions, option, required } from '@inlet/core';
import { toDuckDbSinkError } from './duckdb-errors';
import { parseTableName, quoteIdentifier } from './duckdb-sql';

export interface ParquetExportOptions {
  readonly connection: DuckDBConnection;
  /** The table, `name` or `schema.name`. */
  readonly table: string;
  /** The Parquet file to write (replaced when it exists). */
  readonly path: string;
  /** The column `from` and `to` apply to. Default `'event_time'`. */
  readonly timeColumn?: string;
  /** Rows at or after this time only. */
  readonly from?: Date;
  /** Rows before this time only. */
  readonly to?: Date;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

const parquetExportShape = {
  connection: required(option.methods('a DuckDBConnection', ['run', 'runAndReadAll'])),
  table: required(
    option.custom(
      'a table name (name or schema.name, letters, digits and _)',
      (value) =>
        typeof value === 'string' &&
        value.split('.').length <= 2 &&
        value.split('.').every((part) => identifier.test(part)),
    ),
  ),
  path: required(option.nonEmptyString()),
  timeColumn: option.custom('a column name', (value) => typeof value === 'string' && identifier.test(value)),
  from: option.custom('a valid Date', (value) => value instanceof Date && !Number.isNaN(value.getTime())),
  to: option.custom('a valid Date', (value) => value instanceof Date && !Number.isNaN(value.getTime())),
};

/**
 * Writes a table, or the rows of a time range (`from` inclusive, `to` exclusive, on `timeColumn`),
 * to a Parquet file with DuckDB's `COPY … TO … (FORMAT parquet)`. Resolves with the rows written.
 */
export async function exportParquet(options: ParquetExportOptions): Promise<number> {
  checkOptions('Parquet export', options, parquetExportShape);
  const table = parseTableName(options.table);
  const time = quoteIdentifier(options.timeColumn ?? 'event_time');
  const conditions: string[] = [];
  const parameters: Record<string, string> = {};
  if (options.from !== undefined) {
    conditions.push(`${time} >= $from::TIMESTAMPTZ`);
    parameters.from = options.from.toISOString();
  }
  if (options.to !== undefined) {
    conditions.push(`${time} < $to::TIMESTAMPTZ`);
    parameters.to = options.to.toISOString();
  }
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  // COPY takes no parameter for its target: the path goes in as a string literal.
  const path = `'${options.path.replaceAll("'", "''")}'`;
  try {
    const result = await options.connection.run(
      `COPY (SELECT * FROM ${table.sql}${where}) TO ${path} (FORMAT parquet)`,
      parameters,
    );
    return Number(result.rowsChanged);
  } catch (error) {
    throw toDuckDbSinkError(error, `exporting ${table.text} to Parquet`);
  }
}
