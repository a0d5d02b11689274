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
const floatTypes = new Set(['float4', 'float8']);
const isoMillis = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
// Element types whose to_jsonb is the JSON image of their canonical value (bpchar is not: it keeps its padding).
const jsonbElementTypes = new Set([
  ...[...textTypes].filter((type) => type !== 'bpchar'),
  ...integerTypes,
  ...floatTypes,
  'numeric',
  'bool',
  'bytea',
  'json',
  'jsonb',
]);
// Element types mapped one by one (one-dimensional arrays only).
const elementSql: Readonly<Record<string, (element: string) => string>> = {
  bpchar: (element) => `to_jsonb(${element}::text)`,
  timestamptz: (element) => `to_jsonb(to_char(${element} at time zone 'UTC', ${isoMillis}))`,
  timestamp: (element) => `to_jsonb(to_char(${element}, ${isoMillis}))`,
};

/** Marks the error a multidimensional array raises, so that it is reported as INLET_RECONCILE_UNCOMPARABLE_TYPE. */
export const multidimensionalMarker = 'inlet reconcile: multidimensional array in column ';

/** Whether comparing a column of this type depends on `extra_float_digits` (float text). */
export function printsFloats(type: string): boolean {
  return floatTypes.has(type.replace(/^_/, ''));
}

// jsonb::text with its numbers' trailing fractional zeros trimmed (1.50 -> 1.5, 1.0 -> 1), strings skipped.
const trimmedJsonbText = (jsonb: string) =>
  `regexp_replace(${jsonb}::text, '("(?:[^"\\\\]|\\\\.)*")|(\\.[0-9]*[1-9])0+(?![0-9])|\\.0+(?![0-9])', '\\1\\2', 'g')`;

/** A jsonb value's canonical value: scalars as the scalar of the same JavaScript type, objects and arrays `j` + jsonb text. */
function jsonbCanonicalSql(jsonb: string): string {
  return `case jsonb_typeof(${jsonb})
    when 'object' then 'j' || ${escapeSql(trimmedJsonbText(jsonb))}
    when 'array' then 'j' || ${escapeSql(trimmedJsonbText(jsonb))}
    when 'string' then 's' || ${escapeSql(`(${jsonb} #>> '{}')`)}
    when 'number' then 'd' || trim_scale((${jsonb} #>> '{}')::numeric)::text
    when 'boolean' then case when ${jsonb} = 'true'::jsonb then 'bt' else 'bf' end end`;
}

function arrayCanonicalSql(ref: string, element: string, column: PostgresColumn): string | undefined {
  if (jsonbElementTypes.has(element)) return `'j' || ${escapeSql(trimmedJsonbText(`to_jsonb(${ref})`))}`;
  const map = elementSql[element];
  if (map === undefined) return undefined;
  // Not a constant, so that the planner does not raise it for every row.
  const refusal = `(${quoteLiteral(`${multidimensionalMarker}"${column.name}" (${column.type}), `)} || array_ndims(${ref}) || ' dimensions')`;
  return `case when ${ref} is null then null when array_ndims(${ref}) > 1 then ${refusal}::int::text
    else 'j' || ${escapeSql(
      trimmedJsonbText(
        `(select coalesce(jsonb_agg(${map('element')} order by position), '[]'::jsonb) from unnest(${ref}) with ordinality as elements(element, position))`,
      ),
    )} end`;
}

/**
 * The SQL for a column's canonical value: the same text `canonicalValue` gives for the value as a
 * JavaScript sink would hold it (see the README's table). Throws INLET_RECONCILE_UNCOMPARABLE_TYPE
 * for a type without one.
 */
export function canonicalValueSql(column: PostgresColumn, table: string): string {
  const ref = quoteIdentifier(column.name);
  const type = column.type;
  let expression: string | undefined;
  if (textTypes.has(type)) expression = `'s' || ${escapeSql(`${ref}::text`)}`;
  else if (integerTypes.has(type)) expression = `'d' || ${ref}::text`;
  else if (type === 'numeric') expression = `'d' || trim_scale(${ref})::text`;
  // float text is shortest-exact (extra_float_digits >= 1); as numeric it loses its exponent and -0.
  else if (floatTypes.has(type)) expression = `'d' || trim_scale(${ref}::text::numeric)::text`;
  else if (type === 'bool') expression = `case when ${ref} then 'bt' when not ${ref} then 'bf' end`;
  else if (type === 'timestamptz') expression = `'s' || to_char(${ref} at time zone 'UTC', ${isoMillis})`;
  else if (type === 'timestamp') expression = `'s' || to_char(${ref}, ${isoMillis})`;
  else if (type === 'bytea') expression = `'s' || ${escapeSql(`'\\x' || encode(${ref}, 'hex')`)}`;
  else if (type === 'jsonb') expression = jsonbCanonicalSql(ref);
  else if (type === 'json') expression = jsonbCanonicalSql(`${ref}::jsonb`);
  else if (type.startsWith('_')) expression = arrayCanonicalSql(ref, type.slice(1), column);
  if (expression === undefined)
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
