import type { Bucketing } from './bucketing';
import { escapeCanonical } from './canonical-value';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';
import { quoteIdentifier, quoteLiteral } from './table-name';

/** A column of a PostgreSQL table: its name and its type's name (`pg_type.typname`). */
export interface PostgresColumn {
  readonly name: string;
  readonly type: string;
}

const escapeSql = (expression: string) =>
  `replace(replace(replace(${expression}, '\\', '\\\\'), '|', '\\|'), '=', '\\=')`;

const textTypes = new Set(['text', 'varchar', 'bpchar', 'name', 'uuid', 'citext', 'date', 'inet', 'cidr']);
const integerTypes = new Set(['int2', 'int4', 'int8']);
const isoMillis = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * The SQL for a column's canonical value: the same text `canonicalValue` gives for the value as a
 * JavaScript sink would hold it (see the README's table). Throws INLET_RECONCILE_UNCOMPARABLE_TYPE
 * for a type without one.
 */
export function canonicalValueSql(column: PostgresColumn, table: string): string {
  const ref = quoteIdentifier(column.name);
  const type = column.type;
  let expression: string;
  if (textTypes.has(type)) expression = `'s' || ${escapeSql(`${ref}::text`)}`;
  else if (integerTypes.has(type)) expression = `'d' || ${ref}::text`;
  else if (type === 'numeric') expression = `'d' || trim_scale(${ref})::text`;
  else if (type === 'float4' || type === 'float8')
    // Integral values below 1e15 as integers: JavaScript prints 1e15 as 1000000000000000, PostgreSQL as 1e+15.
    expression = `'d' || case when ${ref} = trunc(${ref}) and abs(${ref}) < 1e15 then trunc(${ref})::numeric::text else ${ref}::text end`;
  else if (type === 'bool') expression = `case when ${ref} then 'bt' when not ${ref} then 'bf' end`;
  else if (type === 'timestamptz') expression = `'s' || to_char(${ref} at time zone 'UTC', ${isoMillis})`;
  else if (type === 'timestamp') expression = `'s' || to_char(${ref}, ${isoMillis})`;
  else if (type === 'bytea') expression = `'s' || ${escapeSql(`'\\x' || encode(${ref}, 'hex')`)}`;
  else
    throw reconcileError(
      ReconcileErrorCode.uncomparableType,
      `column "${column.name}" of ${table} has type ${type}, which reconciliation cannot compare; leave it out with the columns option`,
    );
  return `coalesce(${expression}, 'n')`;
}

/** The row's canonical text, as `canonicalRow` builds it. */
export function canonicalRowSql(
  keyColumn: string,
  columns: readonly PostgresColumn[],
  table: string,
): string {
  const parts = [`'k' || ${escapeSql(`${quoteIdentifier(keyColumn)}::text`)}`];
  for (const column of columns)
    parts.push(`${quoteLiteral(`|${escapeCanonical(column.name)}=`)} || ${canonicalValueSql(column, table)}`);
  return parts.join(' || ');
}

/** The row's digest, as `textDigest` computes it: the first 8 bytes of the MD5, as a signed bigint. */
export function rowDigestSql(keyColumn: string, columns: readonly PostgresColumn[], table: string): string {
  return `('x' || substr(md5(${canonicalRowSql(keyColumn, columns, table)}), 1, 16))::bit(64)::bigint`;
}

/** The row's bucket, as `bucketOf` computes it. */
export function bucketSql(
  bucketing: Bucketing,
  keyColumn: string,
  timeColumn: PostgresColumn | undefined,
): string {
  if (bucketing.kind === 'key')
    return `((('x' || substr(md5(${quoteIdentifier(keyColumn)}::text), 1, 8))::bit(32)::int::bigint & 4294967295) % ${bucketing.count})`;
  const ref = quoteIdentifier(bucketing.column);
  const type = timeColumn?.type ?? 'timestamptz';
  const millis =
    type === 'timestamptz' || type === 'timestamp'
      ? `extract(epoch from ${ref}) * 1000`
      : integerTypes.has(type) || type === 'numeric' || type === 'float8' || type === 'float4'
        ? `${ref}::numeric`
        : `extract(epoch from ${ref}::timestamptz) * 1000`;
  return `coalesce(floor(${millis} / ${bucketing.widthMs})::bigint, -1)`;
}
