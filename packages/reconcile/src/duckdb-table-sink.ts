import { checkOptions, option, required } from '@inlet/core';
import { untilAborted } from './abortable';
import { DigestedRows, type KeyedRow } from './digested-rows';
import { parseJsonExact } from './exact-json';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';
import type { ComparePlan, ReconcileSide } from './reconcile-side';
import { identifierPattern, isTableName, parseTableName, quoteIdentifier } from './table-name';

/** The part of a result reader of `@duckdb/node-api` used here. */
export interface DuckDbRowReader {
  getRowObjectsJS(): readonly unknown[];
}

/** A `DuckDBConnection` of yours (anything with its `runAndReadAll`): reconciliation never closes it. */
export interface DuckDbReadConnection {
  runAndReadAll(sql: string, values?: Record<string, string | null>): Promise<DuckDbRowReader>;
}

export interface DuckDbTableSinkOptions {
  readonly connection: DuckDbReadConnection;
  /** `name` or `schema.name`. */
  readonly table: string;
  /** Default `key`, as the DuckDB sink writes it. */
  readonly key?: string;
  /** A boolean column marking deleted rows, which count as absent. Default `deleted` when the table has it; `false`: none. */
  readonly deletedColumn?: string | false;
}

const columnName = option.custom(
  'a column name',
  (value) => typeof value === 'string' && identifierPattern.test(value),
);

const duckDbTableShape = {
  connection: required(option.methods('a DuckDBConnection', ['runAndReadAll'])),
  table: required(option.custom('a table name (name or schema.name)', isTableName)),
  key: columnName,
  deletedColumn: option.either([columnName, option.oneOf([false])], (value) =>
    value === false ? 1 : typeof value === 'string' ? 0 : undefined,
  ),
};

// Types whose values have no canonical form shared with PostgreSQL.
const uncomparable = /\b(STRUCT|MAP|UNION)\(|\[\d+\]$/i;

/**
 * The shortest decimal that reads back as this FLOAT (DuckDB widens 0.1f to 0.10000000149011612;
 * PostgreSQL prints real 0.1 as 0.1).
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits < 10; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

// A column's values as PostgreSQL's counterpart type would give them: JSON parsed, FLOAT narrowed.
function columnReader(type: string): ((value: unknown) => unknown) | undefined {
  const each = (read: (value: unknown) => unknown) => {
    const deep = (value: unknown): unknown => (Array.isArray(value) ? value.map(deep) : read(value));
    return deep;
  };
  const element = type.replace(/(\[\])+$/, '');
  if (element === 'JSON') return each((value) => (typeof value === 'string' ? parseJsonExact(value) : value));
  if (element === 'FLOAT' || element === 'REAL' || element === 'FLOAT4')
    return each((value) => (typeof value === 'number' ? shortestFloat32(value) : value));
  return undefined;
}

/**
 * A DuckDB table (the DuckDB sink's, `@inlet/sinks/duckdb`): read in-process and digested in
 * memory, as DuckDB returns its values to JavaScript.
 */
export function duckDbTableSink(options: DuckDbTableSinkOptions): ReconcileSide {
  checkOptions('DuckDB reconcile sink', options, duckDbTableShape);
  const table = parseTableName(options.table);
  const keyColumn = options.key ?? 'key';
  const description = `duckdb:${table.text}`;
  let rows: DigestedRows | undefined;

  const read = async (sql: string, values: Record<string, string | null>, signal: AbortSignal) =>
    (
      await untilAborted(options.connection.runAndReadAll(sql, values), signal, `reading ${description}`)
    ).getRowObjectsJS();

  const tableColumns = async (signal: AbortSignal) => {
    const found = (await read(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = $name AND table_schema = coalesce($schema, current_schema()) ORDER BY ordinal_position`,
      { name: table.name, schema: table.schema ?? null },
      signal,
    )) as { column_name: string; data_type: string }[];
    if (found.length === 0)
      throw reconcileError(
        ReconcileErrorCode.missingTable,
        `${description}: the table ${table.text} does not exist`,
      );
    const columns = new Map(found.map((row) => [row.column_name, row.data_type]));
    if (!columns.has(keyColumn))
      throw reconcileError(
        ReconcileErrorCode.missingColumn,
        `${description}: the key column "${keyColumn}" is not in the table`,
      );
    let deletedColumn: string | undefined;
    if (typeof options.deletedColumn === 'string') {
      if (!columns.has(options.deletedColumn))
        throw reconcileError(
          ReconcileErrorCode.missingColumn,
          `${description}: the deleted column "${options.deletedColumn}" is not in the table`,
        );
      deletedColumn = options.deletedColumn;
    } else if (options.deletedColumn === undefined && columns.get('deleted') === 'BOOLEAN')
      deletedColumn = 'deleted';
    return { columns, deletedColumn };
  };

  const load = async (plan: ComparePlan): Promise<DigestedRows> => {
    const { columns, deletedColumn } = await tableColumns(plan.signal);
    const wanted =
      plan.bucketing.kind === 'time' ? [...new Set([...plan.columns, plan.bucketing.column])] : plan.columns;
    for (const name of wanted) {
      const type = columns.get(name);
      if (type === undefined)
        throw reconcileError(
          ReconcileErrorCode.missingColumn,
          `${description}: the column "${name}" is not in the table`,
        );
      if (uncomparable.test(type))
        throw reconcileError(
          ReconcileErrorCode.uncomparableType,
          `column "${name}" of ${table.text} has type ${type}, which reconciliation cannot compare; leave it out with the columns option`,
        );
    }
    const select = [`${quoteIdentifier(keyColumn)}::VARCHAR AS "inlet key"`, ...wanted.map(quoteIdentifier)];
    const where =
      deletedColumn === undefined ? '' : ` WHERE NOT coalesce(${quoteIdentifier(deletedColumn)}, false)`;
    const found = (await read(
      `SELECT ${select.join(', ')} FROM ${table.sql}${where}`,
      {},
      plan.signal,
    )) as Record<string, unknown>[];
    const readers = wanted.flatMap((name) => {
      const reader = columnReader(columns.get(name) as string);
      return reader === undefined ? [] : [[name, reader] as const];
    });
    for (const row of found)
      for (const [name, reader] of readers) if (row[name] !== null) row[name] = reader(row[name]);
    const keyed: KeyedRow[] = found.map((row) => ({ key: String(row['inlet key']), values: row }));
    return new DigestedRows(keyed);
  };

  return {
    description,
    async columns(signal) {
      const { columns, deletedColumn } = await tableColumns(signal);
      return [...columns.keys()].filter((name) => name !== keyColumn && name !== deletedColumn).sort();
    },
    async prepare(plan) {
      rows = await load(plan);
    },
    async summarise(plan) {
      return (rows as DigestedRows).summarise(plan);
    },
    async digestsIn(plan, buckets) {
      return (rows as DigestedRows).digestsIn(plan, buckets);
    },
  };
}
