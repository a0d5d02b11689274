import { createHash } from 'node:crypto';
import {
  closedError,
  entityKeyId,
  InletError,
  InletErrorCode,
  type InletEvent,
  type TopicDefinition,
  type TopicEvent,
  throwIfAborted,
} from '@inlet/core';
import { type PostgresPoolClient, type PostgresQueryable, postgresTableName } from '@inlet/postgres';
import type {
  Sink,
  SinkBatch,
  SinkChange,
  SinkRejection,
  SinkUpsert,
  SinkWriteContext,
  SinkWriteResult,
} from '../sink';
import { newestPerKey } from '../sink-changes';
import { converterFor, type DataColumn, dataColumnsOf } from './column-mapping';
import { CopyMerge } from './copy-merge';
import { arrayLiteral } from './postgres-array-literal';
import {
  InletPostgresSinkError,
  isRowRefusal,
  rowRefusedError,
  sqlStateOf,
  writeFailedError,
} from './postgres-error-classes';
import { PostgresSinkErrorCode } from './postgres-sink-error-code';
import {
  checkPostgresSinkOptions,
  type PostgresSinkOptions,
  postgresSinkDefaults,
} from './postgres-sink-options';
import { StoredOffsets } from './stored-offsets';
import {
  castTypeOf,
  createTableStatement,
  createTombstonesStatement,
  deletedColumn,
  eventIdColumn,
  eventTimeColumn,
  removeStatements,
  type TableLayout,
  type WriteColumn,
  writeStatement,
} from './upsert-statement';

/** A sink into one PostgreSQL table. */
export interface PostgresSink<TEvent> extends Sink<TEvent> {
  /** Resolves once the batch is committed, with the rows the database refused for good. */
  write(batch: SinkBatch<TEvent>, context: SinkWriteContext): Promise<SinkWriteResult>;
  /**
   * Creates what the sink needs (the table with `ensureTable`, the offsets table with
   * `exactlyOnce`) and checks the table has the columns the sink writes
   * (INLET_POSTGRES_SINK_MISSING_COLUMNS otherwise). The first write does it too; call it to
   * fail early. A failed attempt is tried again on the next call.
   */
  init(): Promise<void>;
  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** One change to write, with its index in the batch. */
interface PendingRow<TEvent> {
  readonly index: number;
  readonly change: SinkChange<TEvent>;
  /** An upsert's data by property (derived columns) or by column (`columns`); none for a delete. */
  readonly record: Readonly<Record<string, unknown>> | undefined;
}

/** What `init` found and built: the layout and the statements over it. */
interface SinkState {
  readonly layout: TableLayout;
  readonly write: { readonly name: string; readonly text: string };
  readonly remove: readonly [string, string] | undefined;
  readonly copy: CopyMerge | undefined;
  /** Data column names and types, in layout order after the sink's own. */
  readonly data: readonly WriteColumn[];
  /** Per data column: its value as a parameter, by the type the table gives the column. */
  readonly converters: readonly ((value: unknown) => unknown)[];
  /** Per data column: the name it is read by from a row's record. */
  readonly names: readonly string[];
}

interface NamedQueryable {
  query(query: { name: string; text: string; values: unknown[] }): Promise<unknown>;
}

// Two sessions running CREATE TABLE IF NOT EXISTS at once can both miss the table: one then
// fails on the catalog's unique index (23505) or with duplicate_table/object; the table is there.
const createdConcurrently = new Set(['23505', '42P07', '42710']);

const columnsQuery = `select a.attname as name, format_type(a.atttypid, null) as type,
  (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as defaulted
  from pg_attribute a where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
  order by a.attnum`;

/** The error `throwIfAborted` throws: the write stopped between two steps, not a failure. */
function isAbort(error: unknown): boolean {
  return error instanceof InletError && error.code === InletErrorCode.aborted;
}

function statementName(text: string): string {
  return `inlet_sink_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
}

/**
 * A sink into a PostgreSQL table, made for the topics' events. In `upsert` mode (the default)
 * each batch is collapsed to the newest change per key and written as one statement (or, with
 * `write: 'copy'`, COPY into a staging table and one merge; COPY straight into the table in
 * append mode with `exactlyOnce`, and in upsert mode with deletes marked while the batches hold
 * only new keys), a key's row changing only for a newer entity version: replays and late, older changes change nothing. Deletes mark the row
 * (or remove it) and keep its version. Rows the database refuses for good (class 22 and 23:
 * constraints, bad values) are found by writing the batch again row by row, each in its own
 * savepoint, and returned as rejected; the rest lands. Connection loss, serialization failures,
 * deadlocks and shutdowns are thrown as retryable errors. With `exactlyOnce` each partition's
 * next offset is written in the rows' transaction, and the pipeline resumes from it. Once the
 * write context's signal has fired, no new step (the batch, the row-by-row fallback, its next
 * row) starts: the write rejects with INLET_ABORTED and nothing of the batch lands.
 */
export function createPostgresSink<const TTopics extends readonly TopicDefinition[]>(
  options: PostgresSinkOptions<TTopics>,
): PostgresSink<TopicEvent<TTopics[number]>> {
  type TEvent = TopicEvent<TTopics[number]>;
  checkPostgresSinkOptions(options);
  const settings = {
    mode: options.mode ?? postgresSinkDefaults.mode,
    write: options.write ?? postgresSinkDefaults.write,
    keyColumn: options.keyColumn ?? postgresSinkDefaults.keyColumn,
    versionColumn: options.versionColumn ?? postgresSinkDefaults.versionColumn,
    deletes: options.deletes ?? postgresSinkDefaults.deletes,
    ensureTable: options.ensureTable ?? false,
  };
  const { pool } = options;
  const table = postgresTableName(options.table, options.schema, options.table);
  const tombstones =
    settings.deletes === 'remove'
      ? postgresTableName(`${options.table}_deleted`, options.schema, options.table)
      : undefined;
  const exactlyOnce = options.exactlyOnce ?? false;
  const offsets =
    exactlyOnce === false
      ? undefined
      : new StoredOffsets(
          postgresTableName(
            (typeof exactlyOnce === 'object' ? exactlyOnce.offsetsTable : undefined) ??
              postgresSinkDefaults.offsetsTable,
            options.schema,
            postgresSinkDefaults.offsetsTable,
          ),
        );
  const marks = settings.mode === 'append' || settings.deletes === 'mark';
  const own = [
    settings.keyColumn,
    settings.versionColumn,
    eventIdColumn,
    eventTimeColumn,
    ...(marks ? [deletedColumn] : []),
  ];
  const mapColumns = options.columns as ((event: TEvent) => Readonly<Record<string, unknown>>) | undefined;
  // Derived columns are checked at creation: a conflict is a mistake in the definitions.
  const derived: readonly DataColumn[] | undefined =
    mapColumns === undefined || settings.ensureTable ? dataColumnsOf(options.topics, own) : undefined;
  const name = `postgres:${options.schema === undefined ? '' : `${options.schema}.`}${options.table}`;

  async function createIfMissing(statement: string): Promise<void> {
    try {
      await pool.query(statement);
    } catch (error) {
      if (!createdConcurrently.has(String(sqlStateOf(error)))) throw error;
    }
  }

  async function initialize(): Promise<SinkState> {
    let catalog: readonly Record<string, unknown>[];
    try {
      if (settings.ensureTable)
        await createIfMissing(createTableStatement({ table, ...settings }, derived ?? []));
      if (tombstones !== undefined)
        await createIfMissing(
          createTombstonesStatement(tombstones, settings.keyColumn, settings.versionColumn),
        );
      if (offsets !== undefined) await createIfMissing(offsets.createStatement());
      catalog = (await pool.query(columnsQuery, [table])).rows;
    } catch (error) {
      throw writeFailedError(error, `set-up of ${table}`);
    }
    if (catalog.length === 0)
      throw new InletPostgresSinkError(
        PostgresSinkErrorCode.missingTable,
        `table ${table} does not exist: create it, or set ensureTable: true`,
        undefined,
      );
    const types = new Map(catalog.map((row) => [String(row.name), String(row.type)]));
    const dataNames =
      mapColumns === undefined
        ? (derived ?? []).map((column) => column.name)
        : catalog
            .filter((row) => row.defaulted !== true && !own.includes(String(row.name)))
            .map((row) => String(row.name));
    const missing = [...own, ...dataNames].filter((column) => !types.has(column));
    if (missing.length > 0)
      throw new InletPostgresSinkError(
        PostgresSinkErrorCode.missingColumns,
        `table ${table} lacks the column(s) ${missing.join(', ')} the sink writes (ensureTable never alters a table: add them, or map the columns yourself)`,
        undefined,
      );
    const columns = [...own, ...dataNames].map((column) => ({
      name: column,
      type: castTypeOf(types.get(column) as string),
    }));
    const arrays = columns.filter(({ type }) => type.endsWith('[]'));
    if (arrays.length > 0)
      throw new InletPostgresSinkError(
        PostgresSinkErrorCode.unsupportedColumn,
        `table ${table} has array-typed column(s) the sink would write (${arrays.map(({ name, type }) => `${name} ${type}`).join(', ')}): make them jsonb, or give them a default and leave them out`,
        undefined,
      );
    const layout: TableLayout = {
      table,
      mode: settings.mode,
      deletes: settings.deletes,
      tombstones,
      keyColumn: settings.keyColumn,
      versionColumn: settings.versionColumn,
      columns,
    };
    const text = writeStatement(layout);
    // Append with exactly once COPYs straight into the table: a replayed batch is kept out by
    // the stored offset, read in the same transaction, before any row is written.
    const staging =
      settings.mode === 'append' && offsets !== undefined
        ? undefined
        : `inlet_stage_${statementName(`${table}\u0000${text}`).slice(-20)}`;
    return {
      layout,
      write: { name: statementName(text), text },
      remove: tombstones === undefined ? undefined : removeStatements(layout),
      // Upsert with deletes marked: a merge of new keys is a plain insert, so a bulk load may
      // COPY straight into the table (removed keys' tombstones would need the merge's check).
      copy:
        settings.write === 'copy'
          ? new CopyMerge(layout, staging, settings.mode === 'upsert' && settings.deletes === 'mark')
          : undefined,
      data: columns.slice(own.length),
      converters: columns.slice(own.length).map(({ type }) => converterFor(type)),
      names: mapColumns === undefined ? (derived ?? []).map(({ property }) => property) : dataNames,
    };
  }

  let state: Promise<SinkState> | undefined;
  function ready(): Promise<SinkState> {
    if (state === undefined) {
      const initializing = initialize();
      state = initializing;
      initializing.catch(() => {
        if (state === initializing) state = undefined;
      });
    }
    return state;
  }

  /** The data of an upsert, by data column: the event's properties, or what `columns` returned. */
  function dataRecord(change: SinkUpsert<TEvent>, current: SinkState): Readonly<Record<string, unknown>> {
    if (mapColumns === undefined) {
      const data = (change.event as InletEvent).data;
      return (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    }
    const record = mapColumns(change.event);
    const unknown = Object.keys(record).filter((key) => !current.data.some((column) => column.name === key));
    if (unknown.length > 0)
      throw new InletPostgresSinkError(
        PostgresSinkErrorCode.missingColumns,
        `the columns function returned ${unknown.join(', ')}, which ${table} does not have (or fills by default)`,
        undefined,
      );
    return record;
  }

  function rowOf(change: SinkChange<TEvent>, index: number, current: SinkState): PendingRow<TEvent> {
    return { index, change, record: change.kind === 'delete' ? undefined : dataRecord(change, current) };
  }

  /** One column's values for these rows, as parameters (column-major: what a statement takes). */
  function columnOf(rows: readonly PendingRow<TEvent>[], column: number, current: SinkState): unknown[] {
    const values = new Array<unknown>(rows.length);
    if (column >= own.length) {
      const dataColumn = column - own.length;
      const convert = current.converters[dataColumn] as (value: unknown) => unknown;
      const name = current.names[dataColumn] as string;
      for (let index = 0; index < rows.length; index += 1) {
        const record = (rows[index] as PendingRow<TEvent>).record;
        values[index] = record === undefined ? null : convert(record[name]);
      }
      return values;
    }
    for (let index = 0; index < rows.length; index += 1) {
      const { change } = rows[index] as PendingRow<TEvent>;
      values[index] = ownValue(change, column);
    }
    return values;
  }

  function ownValue(change: SinkChange<TEvent>, column: number): unknown {
    switch (column) {
      case 0:
        return entityKeyId(change.key);
      case 1:
        return change.entityVersion ?? null;
      case 2:
        return change.kind === 'delete' ? change.tombstone.id : (change.event as InletEvent).id;
      case 3:
        return (
          change.kind === 'delete' ? change.tombstone : (change.event as InletEvent)
        ).eventTime.toISOString();
      default:
        return change.kind === 'delete';
    }
  }

  async function inTransaction(work: (client: PostgresPoolClient) => Promise<void>): Promise<void> {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await work(client);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken ??= rollbackError;
      });
      // A connection that failed without a SQLSTATE is not given back to the pool.
      if (sqlStateOf(error) === undefined && !isAbort(error))
        broken ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken ?? false);
    }
  }

  /** The statements for these rows, on `queryable` (inside a transaction when several). */
  async function writeRows(
    queryable: PostgresQueryable,
    current: SinkState,
    rows: readonly PendingRow<TEvent>[],
    useCopy: boolean,
  ): Promise<void> {
    const removals = current.remove === undefined ? [] : rows.filter((row) => row.change.kind === 'delete');
    const upserts = current.remove === undefined ? rows : rows.filter((row) => row.change.kind === 'upsert');
    if (upserts.length > 0) {
      if (useCopy && current.copy !== undefined)
        await current.copy.write(
          queryable as PostgresPoolClient,
          current.layout.columns.map((_, column) => columnOf(upserts, column, current)),
          upserts.length,
        );
      else
        await (queryable as unknown as NamedQueryable).query({
          ...current.write,
          values: current.layout.columns.map((_, column) => arrayLiteral(columnOf(upserts, column, current))),
        });
    }
    if (removals.length > 0 && current.remove !== undefined) {
      const pairs = [columnOf(removals, 0, current), columnOf(removals, 1, current)];
      await queryable.query(current.remove[0], pairs);
      await queryable.query(current.remove[1], pairs);
    }
  }

  /** The batch in one go: COPY when `useCopy` and the sink COPYs, else one statement. */
  async function writeBatch(
    current: SinkState,
    rows: readonly PendingRow<TEvent>[],
    batch: SinkBatch<TEvent>,
    useCopy: boolean,
  ): Promise<void> {
    const removes = current.remove !== undefined && rows.some((row) => row.change.kind === 'delete');
    const copy = useCopy ? current.copy : undefined;
    if (offsets === undefined && copy === undefined && !removes) {
      if (rows.length > 0) await writeRows(pool, current, rows, false);
      return;
    }
    await inTransaction(async (client) => {
      await copy?.prepare(client);
      await client.query('begin');
      if (await alreadyWritten(client, batch)) return;
      await writeRows(client, current, rows, copy !== undefined);
      await offsets?.store(client, batch.groupId, batch.topic, batch.partition, batch.nextOffset);
    });
  }

  /** With exactly once: whether the stored offset says this batch landed already. */
  async function alreadyWritten(client: PostgresPoolClient, batch: SinkBatch<TEvent>): Promise<boolean> {
    if (offsets === undefined) return false;
    return offsets.covers(client, batch.groupId, batch.topic, batch.partition, batch.nextOffset);
  }

  /** The per-row fallback: each row in its own savepoint, so that only the refused ones stay out. */
  async function writeRowByRow(
    current: SinkState,
    rows: readonly PendingRow<TEvent>[],
    batch: SinkBatch<TEvent>,
    signal: AbortSignal,
  ): Promise<SinkRejection[]> {
    const rejected: SinkRejection[] = [];
    await inTransaction(async (client) => {
      await client.query('begin');
      if (await alreadyWritten(client, batch)) return;
      for (const row of rows) {
        // Aborted: the transaction rolls back, nothing of the batch lands, and nothing is acknowledged.
        throwIfAborted(signal, `the write to ${table}`);
        await client.query('savepoint inlet_row');
        try {
          await writeRows(client, current, [row], false);
          await client.query('release savepoint inlet_row');
        } catch (error) {
          if (!isRowRefusal(error)) throw error;
          await client.query('rollback to savepoint inlet_row');
          rejected.push({ index: row.index, error: rowRefusedError(error, table) });
        }
      }
      await offsets?.store(client, batch.groupId, batch.topic, batch.partition, batch.nextOffset);
    });
    return rejected;
  }

  let closed = false;
  const writing = new Set<Promise<unknown>>();
  function tracked<T>(work: Promise<T>): Promise<T> {
    writing.add(work);
    void work.finally(() => writing.delete(work)).catch(() => undefined);
    return work;
  }

  async function write(batch: SinkBatch<TEvent>, signal: AbortSignal): Promise<SinkWriteResult> {
    const current = await ready();
    throwIfAborted(signal, `the write to ${table}`);
    const changes = settings.mode === 'upsert' ? newestPerKey(batch.changes) : batch.changes;
    const indexOf = new Map(batch.changes.map((change, index) => [change, index]));
    const rows: PendingRow<TEvent>[] = [];
    const rejected: SinkRejection[] = [];
    for (const change of changes) {
      const index = indexOf.get(change) as number;
      try {
        rows.push(rowOf(change, index, current));
      } catch (error) {
        // A row the mapping cannot make is refused alone, like one the database refuses.
        rejected.push({ index, error });
      }
    }
    try {
      await writeBatch(current, rows, batch, true);
    } catch (error) {
      if (!isRowRefusal(error)) throw writeFailedError(error, `write to ${table}`);
      try {
        throwIfAborted(signal, `the write to ${table}`);
        // A direct COPY also fails on an event written before (the same event id at another
        // offset): one statement, which skips those, before going row by row.
        if (current.copy?.direct === true) {
          try {
            await writeBatch(current, rows, batch, false);
            return { rejected: rejected.sort((a, b) => a.index - b.index) };
          } catch (statementError) {
            if (!isRowRefusal(statementError)) throw statementError;
            throwIfAborted(signal, `the write to ${table}`);
          }
        }
        rejected.push(...(await writeRowByRow(current, rows, batch, signal)));
      } catch (fallbackError) {
        if (isAbort(fallbackError)) throw fallbackError;
        throw writeFailedError(fallbackError, `write to ${table}`);
      }
    }
    return { rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  const sink: PostgresSink<TEvent> = {
    name,
    async init() {
      if (closed) throw closedError(`sink ${name}`);
      await ready();
    },
    write(batch, context) {
      if (closed) return Promise.reject(closedError(`sink ${name}`));
      return tracked(write(batch, context.signal));
    },
    async close() {
      closed = true;
      await Promise.allSettled([...writing]);
    },
    [Symbol.asyncDispose]: () => sink.close(),
  };
  if (offsets !== undefined) {
    sink.storedOffsets = async (groupId, partitions) => {
      if (closed) throw closedError(`sink ${name}`);
      await ready();
      try {
        return await offsets.read(pool, groupId, partitions);
      } catch (error) {
        throw writeFailedError(error, `reading offsets for ${table}`);
      }
    };
  }
  return sink;
}
