import type { DuckDBConnection } from '@duckdb/node-api';
import { checkOptions, option, type TopicDefinition, type TopicEvent } from '@inlet/core';

/** How changes land: one row per key (newest version wins), or one row per change. */
export type DuckDbSinkMode = 'append' | 'upsert';

/** What an upserting sink does with a delete: keep the row marked `deleted`, or remove it. */
export type DuckDbDeleteMode = 'mark' | 'remove';

export interface DuckDbSinkOptions<TTopics extends readonly TopicDefinition[]> {
  /** A connection you own (the sink never closes it); or give `database`. */
  readonly connection?: DuckDBConnection;
  /** A database file, or `':memory:'`, that the sink opens and closes itself; or give `connection`. */
  readonly database?: string;
  /** The target table, `name` or `schema.name`. */
  readonly table: string;
  /** The topics whose events land here: they type `columns` and give the derived columns. */
  readonly topics: TTopics;
  /** Default `'upsert'`. */
  readonly mode?: DuckDbSinkMode;
  /**
   * The data columns of an event, by column name; by default every top-level property of the
   * event's data in snake_case. With it, every column of the table but the sink's own (key,
   * version, `event_id`, `event_time`, `deleted`) is written, columns left out as NULL.
   */
  readonly columns?: (event: TopicEvent<TTopics[number]>) => Readonly<Record<string, unknown>>;
  /** Default `'key'`: the entity key (`entityKeyId`), the table's PRIMARY KEY in upsert mode. */
  readonly keyColumn?: string;
  /** Default `'entity_version'`. */
  readonly versionColumn?: string;
  /** Default `'mark'`. Upsert mode only: append mode appends deletes as rows with `deleted = true`. */
  readonly deletes?: DuckDbDeleteMode;
  /** Create the table (derived columns) when it does not exist. Default false; an existing table is never altered. */
  readonly ensureTable?: boolean;
}

export const duckDbSinkDefaults = {
  mode: 'upsert',
  keyColumn: 'key',
  versionColumn: 'entity_version',
  deletes: 'mark',
  ensureTable: false,
} as const;

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

const duckDbSinkShape = {
  connection: option.methods('a DuckDBConnection', ['run', 'createAppender']),
  database: option.nonEmptyString(),
  table: option.custom(
    'a table name (name or schema.name, letters, digits and _)',
    (value) =>
      typeof value === 'string' &&
      value.split('.').length <= 2 &&
      value.split('.').every((part) => identifier.test(part)),
  ),
  topics: option.arrayOf(option.methods('a topic definition', ['find', 'latest', 'types']), { minItems: 1 }),
  mode: option.oneOf(['append', 'upsert']),
  columns: option.function('a function (event) => Record<string, unknown>'),
  keyColumn: option.custom('a column name', (value) => typeof value === 'string' && identifier.test(value)),
  versionColumn: option.custom(
    'a column name',
    (value) => typeof value === 'string' && identifier.test(value),
  ),
  deletes: option.oneOf(['mark', 'remove']),
  ensureTable: option.boolean(),
};

/** Refuses wrong types, unknown keys and contradictory options, naming each. */
export function checkDuckDbSinkOptions(options: unknown): void {
  const shape = {
    ...duckDbSinkShape,
    table: { ...duckDbSinkShape.table, required: true },
    topics: { ...duckDbSinkShape.topics, required: true },
  };
  checkOptions('DuckDB sink', options, shape, (given, issues) => {
    if ((given.connection === undefined) === (given.database === undefined))
      issues.push({ path: 'connection', message: 'give either connection or database (one of them)' });
    if (given.ensureTable === true && given.columns !== undefined)
      issues.push({
        path: 'ensureTable',
        message: 'cannot create a table for custom columns: create it yourself, or leave columns out',
      });
    if (given.mode === 'append' && given.deletes !== undefined)
      issues.push({ path: 'deletes', message: 'is for upsert mode; append mode appends deletes as rows' });
  });
}
