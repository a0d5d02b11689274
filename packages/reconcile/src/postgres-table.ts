import { checkOptions, option, required } from '@inlet/core';
import { untilAborted } from './abortable';
import { bucketSql, type PostgresColumn, printsFloats, rowDigestSql } from './postgres-canonical-sql';
import { classifyPostgresError } from './postgres-error';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';
import type { BucketSummary, ComparePlan, ReconcileSide } from './reconcile-side';
import {
  identifierPattern,
  isTableName,
  parseTableName,
  quoteIdentifier,
  type TableName,
} from './table-name';

/** A `pg.Pool` or `pg.Client` of yours (anything with its `query`): reconciliation never ends it. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ readonly rows: readonly unknown[] }>;
}

export interface PostgresTableOptions {
  /** A `pg.Client` of yours; or give `pool`. */
  readonly client?: PostgresQueryable;
  /** A `pg.Pool` of yours; or give `client`. */
  readonly pool?: PostgresQueryable;
  /** `name` or `schema.name`. */
  readonly table: string;
  /** The key column; its text (`::text`) is the key compared. Required for a source; default `key` for a sink. */
  readonly key?: string;
  /** The compared columns; default: every column but the key and the deleted column. */
  readonly columns?: readonly string[];
  /** A SQL condition (trusted, yours) on the rows to compare, e.g. `region = 'eu'`. */
  readonly where?: string;
  /**
   * A boolean column marking deleted rows (the sinks' `deletes: 'mark'`), which count as absent.
   * Default `deleted` when the table has a boolean column of that name; `false`: none.
   */
  readonly deletedColumn?: string | false;
}

const columnName = option.custom(
  'a column name',
  (value) => typeof value === 'string' && identifierPattern.test(value),
);

const postgresTableShape = {
  client: option.methods('a pg.Client', ['query']),
  pool: option.methods('a pg.Pool', ['query']),
  table: required(option.custom('a table name (name or schema.name)', isTableName)),
  key: columnName,
  columns: option.arrayOf(columnName, { minItems: 1 }),
  where: option.nonEmptyString(),
  deletedColumn: option.either([columnName, option.oneOf([false])], (value) =>
    value === false ? 1 : typeof value === 'string' ? 0 : undefined,
  ),
};

function checkPostgresTableOptions(
  subject: string,
  options: PostgresTableOptions,
  keyRequired: boolean,
): void {
  checkOptions(
    subject,
    options,
    { ...postgresTableShape, key: keyRequired ? required(columnName) : columnName },
    (given, issues) => {
      if ((given.client === undefined) === (given.pool === undefined))
        issues.push({ path: 'client', message: 'give either client or pool (one of them)' });
    },
  );
}

/** A PostgreSQL table as the source: what should be. Bucket checksums are computed on the server. */
export function postgresTableSource(options: PostgresTableOptions): ReconcileSide {
  checkPostgresTableOptions('PostgreSQL reconcile source', options, true);
  return postgresTable(options, options.key as string);
}

/** A PostgreSQL table as the sink: what the sinks wrote (key column `key` by default). */
export function postgresTableSink(options: PostgresTableOptions): ReconcileSide {
  checkPostgresTableOptions('PostgreSQL reconcile sink', options, false);
  return postgresTable(options, options.key ?? 'key');
}

interface TableShape {
  readonly columns: ReadonlyMap<string, PostgresColumn>;
  readonly deletedColumn: string | undefined;
}

function postgresTable(options: PostgresTableOptions, keyColumn: string): ReconcileSide {
  const db = (options.client ?? options.pool) as PostgresQueryable;
  const table: TableName = parseTableName(options.table);
  const description = `postgres:${table.text}`;
  let shape: TableShape | undefined;

  const query = async <T>(sql: string, values: unknown[], signal: AbortSignal): Promise<T[]> => {
    try {
      const result = await untilAborted(db.query(sql, values), signal, `reading ${description}`);
      return result.rows as T[];
    } catch (error) {
      throw classifyPostgresError(error, description);
    }
  };

  const readShape = async (signal: AbortSignal): Promise<TableShape> => {
    const rows = await query<{ found: string | null; name: string | null; type: string | null }>(
      `select to_regclass($1)::text as found, a.attname as name, t.typname as type
         from (select to_regclass($1) as oid) r
         left join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
         left join pg_type t on t.oid = a.atttypid
        order by a.attnum`,
      [table.sql],
      signal,
    );
    if (rows.length === 0 || rows[0]?.found === null)
      throw reconcileError(
        ReconcileErrorCode.missingTable,
        `${description}: the table ${table.text} does not exist`,
      );
    const columns = new Map<string, PostgresColumn>();
    for (const row of rows)
      if (row.name !== null) columns.set(row.name, { name: row.name, type: row.type ?? '' });
    if (!columns.has(keyColumn))
      throw reconcileError(
        ReconcileErrorCode.missingColumn,
        `${description}: the key column "${keyColumn}" is not in the table (it has ${[...columns.keys()].join(', ')})`,
      );
    let deletedColumn: string | undefined;
    if (typeof options.deletedColumn === 'string') {
      if (!columns.has(options.deletedColumn))
        throw reconcileError(
          ReconcileErrorCode.missingColumn,
          `${description}: the deleted column "${options.deletedColumn}" is not in the table`,
        );
      deletedColumn = options.deletedColumn;
    } else if (options.deletedColumn === undefined && columns.get('deleted')?.type === 'bool')
      deletedColumn = 'deleted';
    return { columns, deletedColumn };
  };

  const compared = (plan: ComparePlan, current: TableShape): PostgresColumn[] =>
    plan.columns.map((name) => {
      const column = current.columns.get(name);
      if (column === undefined)
        throw reconcileError(
          ReconcileErrorCode.missingColumn,
          `${description}: the compared column "${name}" is not in the table`,
        );
      return column;
    });

  const timeColumn = (plan: ComparePlan, current: TableShape): PostgresColumn | undefined => {
    if (plan.bucketing.kind !== 'time') return undefined;
    const column = current.columns.get(plan.bucketing.column);
    if (column === undefined)
      throw reconcileError(
        ReconcileErrorCode.missingColumn,
        `${description}: the time column "${plan.bucketing.column}" is not in the table`,
      );
    return column;
  };

  const conditions = (current: TableShape): string => {
    const parts: string[] = [];
    if (options.where !== undefined) parts.push(`(${options.where})`);
    if (current.deletedColumn !== undefined)
      parts.push(`coalesce(${quoteIdentifier(current.deletedColumn)}, false) = false`);
    return parts.length === 0 ? 'true' : parts.join(' and ');
  };

  const expressions = (plan: ComparePlan) => {
    const current = shape as TableShape;
    return {
      bucket: bucketSql(plan.bucketing, keyColumn, timeColumn(plan, current)),
      digest: rowDigestSql(keyColumn, compared(plan, current), table.text),
      where: conditions(current),
    };
  };

  return {
    description,
    async columns(signal) {
      if (options.columns !== undefined) return [...options.columns].sort();
      const current = await readShape(signal);
      return [...current.columns.keys()]
        .filter((name) => name !== keyColumn && name !== current.deletedColumn)
        .sort();
    },
    async prepare(plan) {
      shape = await readShape(plan.signal);
      expressions(plan); // throws for a missing column or a type without a canonical form
      const float = compared(plan, shape).find((column) => printsFloats(column.type));
      if (float !== undefined) {
        const [setting] = await query<{ digits: number }>(
          `select current_setting('extra_float_digits')::int as digits`,
          [],
          plan.signal,
        );
        // Below 1, PostgreSQL prints floats rounded to 15 digits, not as the shortest exact text.
        if ((setting?.digits ?? 1) < 1)
          throw reconcileError(
            ReconcileErrorCode.uncomparableType,
            `column "${float.name}" of ${table.text} has type ${float.type}, which prints exactly only with extra_float_digits >= 1 (it is ${setting?.digits}); leave it out with the columns option or reset the setting`,
          );
      }
    },
    async summarise(plan) {
      const { bucket, digest, where } = expressions(plan);
      const rows = await query<{ bucket: string; rows: number; checksum: string }>(
        `select bucket::text as bucket, count(*)::int as rows, sum(digest)::text as checksum
           from (select ${bucket} as bucket, ${digest} as digest from ${table.sql} where ${where}) digested
          group by bucket`,
        [],
        plan.signal,
      );
      const summaries = new Map<number, BucketSummary>();
      for (const row of rows)
        summaries.set(Number(row.bucket), {
          rows: row.rows,
          checksum: BigInt.asUintN(64, BigInt(row.checksum)),
        });
      return summaries;
    },
    async digestsIn(plan, buckets) {
      const { bucket, digest, where } = expressions(plan);
      const rows = await query<{ key: string; digest: string }>(
        `select ${quoteIdentifier(keyColumn)}::text as key, (${digest})::text as digest
           from ${table.sql} where ${where} and ${bucket} = any($1::bigint[])`,
        [buckets.map(String)],
        plan.signal,
      );
      const digests = new Map<string, bigint>();
      for (const row of rows) digests.set(row.key, BigInt(row.digest));
      return digests;
    },
  };
}
