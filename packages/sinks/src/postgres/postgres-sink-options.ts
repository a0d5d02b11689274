import {
  checkOptions,
  option,
  required,
  type TopicDefinition,
  type TopicEvent,
  type ValidationIssue,
} from '@inlet/core';
import type { PostgresPoolClient, PostgresQueryResult } from '@inlet/postgres';

/** A `pg.Pool` (or anything with its `query` and `connect`): the user's own; the sink never ends it. */
export interface PostgresSinkPool {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  connect(): Promise<PostgresPoolClient>;
}

/** Exactly once: rows and offsets in one transaction; the offsets in this table (default `inlet_sink_offsets`). */
export interface PostgresExactlyOnceOptions {
  readonly offsetsTable?: string;
}

export interface PostgresSinkOptions<TTopics extends readonly TopicDefinition[]> {
  /** The pool to write with, yours: `close()` does not end it. */
  readonly pool: PostgresSinkPool;
  /** The target table: a plain lower-case identifier. */
  readonly table: string;
  /** Its schema; unset: the connection's search path. */
  readonly schema?: string;
  /** The topics the events come from: they type `columns`, and the default columns derive from them. */
  readonly topics: TTopics;
  /**
   * `upsert` (default): one row per key, the newest entity version winning. `append`: one row per
   * event, a replayed event skipped by its `event_id`.
   */
  readonly mode?: 'upsert' | 'append';
  /**
   * `statement` (default): each batch as one `insert … select from unnest(…)` statement.
   * `copy`: COPY into a temporary staging table (one per pooled connection), then one merge into
   * the table; in append mode with `exactlyOnce`, COPY straight into the table (the stored offset
   * keeps replayed batches out). Pays off with large batches and append-only tables.
   */
  readonly write?: 'statement' | 'copy';
  /**
   * The row's data columns, by column name, in place of the derived ones (a column per top-level
   * property of the schema, in snake_case). The table's columns other than the sink's own that
   * have no default are written; one a row leaves out is written as null.
   */
  readonly columns?: (event: TopicEvent<TTopics[number]>) => Readonly<Record<string, unknown>>;
  /** Default `key`. */
  readonly keyColumn?: string;
  /** Default `entity_version`. */
  readonly versionColumn?: string;
  /**
   * `mark` (default): a deleted key's row stays, with `deleted` true, its version, and its data
   * columns null. `remove`: the row goes, and its version is kept in `<table>_deleted`. Either way
   * an older update arriving late cannot bring it back.
   */
  readonly deletes?: 'mark' | 'remove';
  /** Rows and each partition's next offset in one transaction; the pipeline resumes from them. Default false. */
  readonly exactlyOnce?: boolean | PostgresExactlyOnceOptions;
  /** `create table if not exists` from the topics' definitions; never alters a table. Default false. */
  readonly ensureTable?: boolean;
}

export const postgresSinkDefaults = {
  mode: 'upsert',
  write: 'statement',
  keyColumn: 'key',
  versionColumn: 'entity_version',
  deletes: 'mark',
  offsetsTable: 'inlet_sink_offsets',
} as const;

const plainIdentifier = option.custom(
  'a plain lower-case identifier (a-z, 0-9 and _, at most 63 characters)',
  (value) => typeof value === 'string' && /^[a-z_][a-z0-9_]{0,62}$/.test(value),
);

const postgresSinkShape = {
  pool: required(option.methods('a pg.Pool', ['query', 'connect'])),
  table: required(plainIdentifier),
  schema: plainIdentifier,
  topics: required(
    option.arrayOf(
      option.custom(
        'a topic definition (defineTopic)',
        (value) =>
          typeof value === 'object' && value !== null && Array.isArray((value as TopicDefinition).events),
      ),
      { minItems: 1 },
    ),
  ),
  mode: option.oneOf(['upsert', 'append']),
  write: option.oneOf(['statement', 'copy']),
  columns: option.function('a function (event) => a record of column values'),
  keyColumn: plainIdentifier,
  versionColumn: plainIdentifier,
  deletes: option.oneOf(['mark', 'remove']),
  exactlyOnce: option.either([option.boolean(), option.object({ offsetsTable: plainIdentifier })], (value) =>
    typeof value === 'boolean' ? 0 : typeof value === 'object' && value !== null ? 1 : undefined,
  ),
  ensureTable: option.boolean(),
};

function crossChecks(options: Record<string, unknown>, issues: ValidationIssue[]): void {
  if (options.mode === 'append' && options.deletes === 'remove')
    issues.push({
      path: 'deletes',
      message: "must be 'mark' in append mode (a delete is appended as a row)",
    });
  if (options.deletes === 'remove' && String(options.table).length > 55)
    issues.push({
      path: 'table',
      message: "must be at most 55 characters with deletes: 'remove' (its <table>_deleted must fit 63)",
    });
  if (options.keyColumn !== undefined && options.keyColumn === options.versionColumn)
    issues.push({ path: 'versionColumn', message: 'must differ from keyColumn' });
}

/** Refuses wrong types and unknown keys, naming the option. */
export function checkPostgresSinkOptions(options: unknown): void {
  checkOptions('PostgreSQL sink', options, postgresSinkShape, crossChecks);
}
