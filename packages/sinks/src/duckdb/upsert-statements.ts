import type { MetaColumnNames } from './derived-columns';
import type { DuckDbDeleteMode } from './duckdb-sink-options';
import { quoteIdentifier, type TableName } from './duckdb-sql';
import { sinkStateTables } from './duckdb-table';

export interface UpsertStatementsInput {
  readonly table: TableName;
  /** The columns written, in the stage's order. */
  readonly columns: readonly string[];
  /** The temporary table a batch is appended to, with `inlet_seq` and `inlet_delete` after the columns. */
  readonly stage: string;
  readonly meta: MetaColumnNames;
  readonly deletes: DuckDbDeleteMode;
}

/** The statements that merge the stage into the table; each ends in a filter a per-row retry narrows. */
export function upsertStatements({ table, columns, stage, meta, deletes }: UpsertStatementsInput): string[] {
  const metaNames = new Set(Object.values(meta));
  const q = quoteIdentifier;
  const list = columns.map(q).join(', ');
  const key = q(meta.key);
  const version = q(meta.version);
  const newer = `(target.${version} IS NULL OR excluded.${version} IS NULL OR target.${version} < excluded.${version})`;
  const dataColumns = columns.filter((name) => !metaNames.has(name));
  const set = (dataValue: (column: string) => string) =>
    columns
      .filter((name) => name !== meta.key)
      .map((name) => {
        const column = q(name);
        if (name === meta.version) return `${column} = coalesce(excluded.${column}, target.${column})`;
        return `${column} = ${dataColumns.includes(name) ? dataValue(column) : `excluded.${column}`}`;
      })
      .join(', ');
  const stageRef = `${q(stage)} AS staged`;
  const tableLiteral = `'${table.text.replaceAll("'", "''")}'`;
  if (deletes === 'mark') {
    const updates = set(
      (column) => `CASE WHEN excluded.${q(meta.deleted)} THEN target.${column} ELSE excluded.${column} END`,
    );
    return [
      `INSERT INTO ${table.sql} AS target (${list}) SELECT ${list} FROM ${stageRef} WHERE $row IS NULL OR inlet_seq = $row
         ON CONFLICT (${key}) DO UPDATE SET ${updates} WHERE ${newer}`,
    ];
  }
  const deletesTable = sinkStateTables.deletes;
  return [
    `INSERT INTO ${deletesTable} AS removed SELECT ${tableLiteral}, ${key}, ${version} FROM ${stageRef}
       WHERE inlet_delete AND ($row IS NULL OR inlet_seq = $row)
       ON CONFLICT (table_name, key) DO UPDATE SET entity_version =
         CASE WHEN removed.entity_version IS NULL OR excluded.entity_version IS NULL THEN excluded.entity_version
              ELSE greatest(removed.entity_version, excluded.entity_version) END`,
    `DELETE FROM ${table.sql} AS target USING ${stageRef}
       WHERE staged.inlet_delete AND ($row IS NULL OR staged.inlet_seq = $row) AND target.${key} = staged.${key}
         AND (target.${version} IS NULL OR staged.${version} IS NULL OR target.${version} < staged.${version})`,
    `INSERT INTO ${table.sql} AS target (${list}) SELECT ${list} FROM ${stageRef}
       WHERE NOT inlet_delete AND ($row IS NULL OR inlet_seq = $row) AND NOT EXISTS (
         SELECT 1 FROM ${deletesTable} AS removed WHERE removed.table_name = ${tableLiteral} AND removed.key = staged.${key}
           AND removed.entity_version IS NOT NULL AND staged.${version} IS NOT NULL AND removed.entity_version >= staged.${version})
       ON CONFLICT (${key}) DO UPDATE SET ${set((column) => `excluded.${column}`)} WHERE ${newer}`,
  ];
}
