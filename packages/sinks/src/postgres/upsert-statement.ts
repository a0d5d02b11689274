/** A column the sink writes, with the type the target table gives it. */
export interface WriteColumn {
  readonly name: string;
  readonly type: string;
}

/** How the sink writes into its table: what the statements are built from. */
export interface TableLayout {
  /** The target table, quoted and possibly schema-qualified. */
  readonly table: string;
  readonly mode: 'upsert' | 'append';
  readonly deletes: 'mark' | 'remove';
  /** Where `deletes: 'remove'` keeps the versions of removed keys (quoted), else undefined. */
  readonly tombstones: string | undefined;
  readonly keyColumn: string;
  readonly versionColumn: string;
  /** Every column written, in parameter order: the sink's own first, then the data columns. */
  readonly columns: readonly WriteColumn[];
}

export const eventIdColumn = 'event_id';
export const eventTimeColumn = 'event_time';
export const deletedColumn = 'deleted';

/**
 * The type a parameter is cast to, from the column's type without its modifier: `character`
 * and `bit` alone mean a length of 1 in a cast (which would cut values short silently), so they
 * become their unbounded forms; the column's own length then refuses a value too long (22001).
 */
export function castTypeOf(columnType: string): string {
  if (columnType === 'character') return 'bpchar';
  if (columnType === 'bit') return 'varbit';
  return columnType;
}

/** An identifier in double quotes, safe for any name. */
export function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function columnList(layout: TableLayout, prefix = ''): string {
  return layout.columns.map(({ name }) => `${prefix}${quoted(name)}`).join(', ');
}

/** `unnest($1::text[], $2::bigint[], …)`: one array parameter per column, whatever the batch size. */
function unnestOf(columns: readonly WriteColumn[]): string {
  return `unnest(${columns.map(({ type }, index) => `$${index + 1}::${type}[]`).join(', ')})`;
}

/**
 * The version guard: a row changes only for a newer version (or a change without one), so
 * replays and late, older changes change nothing, and a statement is idempotent.
 */
export function versionGuard(layout: TableLayout, target: string, incoming: string): string {
  const version = quoted(layout.versionColumn);
  return `${target}.${version} is null or ${incoming}.${version} is null or ${target}.${version} < ${incoming}.${version}`;
}

function conflictClause(layout: TableLayout): string {
  if (layout.mode === 'append') return `on conflict (${quoted(eventIdColumn)}) do nothing`;
  const version = quoted(layout.versionColumn);
  const updates = layout.columns
    .filter(({ name }) => name !== layout.keyColumn)
    .map(({ name }) =>
      name === layout.versionColumn
        ? `${version} = coalesce(excluded.${version}, t.${version})`
        : `${quoted(name)} = excluded.${quoted(name)}`,
    );
  return `on conflict (${quoted(layout.keyColumn)}) do update set ${updates.join(', ')} where ${versionGuard(layout, 't', 'excluded')}`;
}

/** With `deletes: 'remove'`, rows of keys removed at a newer (or the same) version stay out. */
function notRemoved(layout: TableLayout, source: string): string {
  if (layout.tombstones === undefined) return '';
  const key = quoted(layout.keyColumn);
  const version = quoted(layout.versionColumn);
  return ` where not exists (select 1 from ${layout.tombstones} d where d.${key} = ${source}.${key} and d.${version} >= ${source}.${version})`;
}

/**
 * One statement for a whole batch: the rows as one array per column, unnested, inserted; a key
 * already there is updated under the version guard (upsert), or a replayed event skipped (append).
 * Its text does not depend on the batch size, so it is prepared once per connection.
 */
export function writeStatement(layout: TableLayout): string {
  return `insert into ${layout.table} as t (${columnList(layout)}) select ${columnList(layout, 'u.')} from ${unnestOf(layout.columns)} as u(${columnList(layout)})${notRemoved(layout, 'u')} ${conflictClause(layout)}`;
}

/** The merge after a COPY into the staging table: the same insert, from the staging table. */
export function mergeStatement(layout: TableLayout, staging: string): string {
  return `insert into ${layout.table} as t (${columnList(layout)}) select ${columnList(layout, 'u.')} from ${staging} as u${notRemoved(layout, 'u')} ${conflictClause(layout)}`;
}

/**
 * The merge, answering how many rows it inserted (`xmax = 0`: a row version no update made),
 * so that the adaptive COPY learns when a batch held only new keys.
 */
export function countedMergeStatement(layout: TableLayout, staging: string): string {
  return `with merged as (${mergeStatement(layout, staging)} returning (t.xmax = 0) as inserted) select count(*) filter (where inserted)::int as inserted from merged`;
}

/** A session's staging table for COPY: the written columns, emptied at each commit. */
export function stagingTableStatement(layout: TableLayout, staging: string): string {
  const columns = layout.columns.map(({ name, type }) => `${quoted(name)} ${type}`).join(', ');
  return `create temp table if not exists ${staging} (${columns}) on commit delete rows`;
}

export function copyStatement(layout: TableLayout, staging: string): string {
  return `copy ${staging} (${columnList(layout)}) from stdin`;
}

/**
 * With `deletes: 'remove'`: the removed keys' versions kept (newest wins), then the rows removed
 * under the same guard. $1 the keys, $2 their versions.
 */
export function removeStatements(layout: TableLayout): readonly [string, string] {
  const tombstones = layout.tombstones as string;
  const key = quoted(layout.keyColumn);
  const version = quoted(layout.versionColumn);
  const versionType = layout.columns.find(({ name }) => name === layout.versionColumn)?.type ?? 'bigint';
  const keyType = layout.columns.find(({ name }) => name === layout.keyColumn)?.type ?? 'text';
  const pairs = `unnest($1::${keyType}[], $2::${versionType}[]) as u(${key}, ${version})`;
  return [
    `insert into ${tombstones} as t (${key}, ${version}) select u.${key}, u.${version} from ${pairs} on conflict (${key}) do update set ${version} = coalesce(excluded.${version}, t.${version}) where ${versionGuard(layout, 't', 'excluded')}`,
    `delete from ${layout.table} as t using ${pairs} where t.${key} = u.${key} and (${versionGuard(layout, 't', 'u')})`,
  ];
}

/** What `ensureTable` creates: the sink's own columns, then the data columns. */
export function createTableStatement(
  layout: Pick<TableLayout, 'table' | 'mode' | 'deletes' | 'keyColumn' | 'versionColumn'>,
  dataColumns: readonly WriteColumn[],
): string {
  const own =
    layout.mode === 'upsert'
      ? [`${quoted(layout.keyColumn)} text primary key`]
      : [`${quoted(layout.keyColumn)} text not null`];
  own.push(`${quoted(layout.versionColumn)} bigint`);
  own.push(
    layout.mode === 'upsert'
      ? `${quoted(eventIdColumn)} text`
      : `${quoted(eventIdColumn)} text not null unique`,
  );
  own.push(`${quoted(eventTimeColumn)} timestamptz`);
  if (layout.mode === 'append' || layout.deletes === 'mark')
    own.push(`${quoted(deletedColumn)} boolean not null default false`);
  const data = dataColumns.map(({ name, type }) => `${quoted(name)} ${type}`);
  return `create table if not exists ${layout.table} (${[...own, ...data].join(', ')})`;
}

/** With `deletes: 'remove'`: the sink's own table of removed keys and their versions. */
export function createTombstonesStatement(
  tombstones: string,
  keyColumn: string,
  versionColumn: string,
): string {
  return `create table if not exists ${tombstones} (${quoted(keyColumn)} text primary key, ${quoted(versionColumn)} bigint)`;
}
