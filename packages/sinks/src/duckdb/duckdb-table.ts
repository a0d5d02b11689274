import type { DuckDBConnection } from '@duckdb/node-api';
import { InletError } from '@inlet/core';
import type { DuckDbColumn } from './derived-columns';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';
import { quoteIdentifier, type TableName } from './duckdb-sql';

/** The columns of a table in their order, or undefined when it does not exist. */
export async function tableColumns(
  connection: DuckDBConnection,
  table: TableName,
): Promise<DuckDbColumn[] | undefined> {
  const reader = await connection.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = $name AND table_schema = coalesce($schema, current_schema())
      ORDER BY ordinal_position`,
    { name: table.name, schema: table.schema ?? null },
  );
  const rows = reader.getRowObjectsJS() as { column_name: string; data_type: string }[];
  if (rows.length === 0) return undefined;
  return rows.map((row) => ({ name: row.column_name, type: row.data_type }));
}

/** True when `column` alone is the table's PRIMARY KEY or has a UNIQUE constraint (what ON CONFLICT needs). */
export async function isUniqueColumn(
  connection: DuckDBConnection,
  table: TableName,
  column: string,
): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM duckdb_constraints()
      WHERE table_name = $name AND schema_name = coalesce($schema, current_schema())
        AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') AND constraint_column_names = [$column]`,
    { name: table.name, schema: table.schema ?? null, column },
  );
  return Number((reader.getRowObjectsJS()[0] as { n: bigint }).n) > 0;
}

/** Creates the table with these columns when it does not exist; the key column is its PRIMARY KEY when `keyColumn` is given. */
export async function createTableIfMissing(
  connection: DuckDBConnection,
  table: TableName,
  columns: readonly DuckDbColumn[],
  keyColumn: string | undefined,
): Promise<void> {
  const definitions = columns.map(
    (column) =>
      `${quoteIdentifier(column.name)} ${column.type}${column.name === keyColumn ? ' PRIMARY KEY' : ''}`,
  );
  await connection.run(`CREATE TABLE IF NOT EXISTS ${table.sql} (${definitions.join(', ')})`);
}

export function tableMismatch(table: TableName, message: string): InletError {
  return new InletError(DuckDbSinkErrorCode.tableMismatch, `DuckDB table ${table.text}: ${message}`);
}

/** The sink's own tables: the offsets it wrote up to, and (deletes: 'remove') the versions of removed keys. */
export const sinkStateTables = {
  offsets: 'inlet_sink_offsets',
  deletes: 'inlet_sink_deletes',
} as const;

export async function ensureStateTables(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    `CREATE TABLE IF NOT EXISTS ${sinkStateTables.offsets} (
       table_name VARCHAR, group_id VARCHAR, topic VARCHAR, "partition" INTEGER, next_offset BIGINT NOT NULL,
       PRIMARY KEY (table_name, group_id, topic, "partition"))`,
  );
  await connection.run(
    `CREATE TABLE IF NOT EXISTS ${sinkStateTables.deletes} (
       table_name VARCHAR, key VARCHAR, entity_version BIGINT,
       PRIMARY KEY (table_name, key))`,
  );
}
