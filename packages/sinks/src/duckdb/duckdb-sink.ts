import {
  BOOLEAN,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import {
  closedError,
  entityKeyId,
  type TopicDefinition,
  type TopicEvent,
  type TopicPartitionOffset,
} from '@inlet/core';
import type { Sink, SinkBatch, SinkChange, SinkRejection } from '../sink';
import { newestPerKey } from '../sink-changes';
import { type ColumnValue, columnValue } from './column-value';
import { type DuckDbColumn, derivedDataColumns, type MetaColumnNames, metaColumns } from './derived-columns';
import { duckDbFailureKind, toDuckDbSinkError } from './duckdb-errors';
import {
  checkDuckDbSinkOptions,
  type DuckDbDeleteMode,
  type DuckDbSinkMode,
  type DuckDbSinkOptions,
  duckDbSinkDefaults,
} from './duckdb-sink-options';
import { inTransaction, parseTableName, quoteIdentifier } from './duckdb-sql';
import {
  createTableIfMissing,
  ensureStateTables,
  isUniqueColumn,
  sinkStateTables,
  tableColumns,
  tableMismatch,
} from './duckdb-table';
import { upsertStatements } from './upsert-statements';

/** A sink into a DuckDB table. */
export interface DuckDbSink<TEvent> extends Sink<TEvent> {
  readonly table: string;
  readonly mode: DuckDbSinkMode;
}

/** A partition of a consumer group. */
interface PartitionRef {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

/** What append mode knows of one partition's progress. */
interface AppendProgress {
  readonly ref: PartitionRef;
  /** The offset stored with the rows. */
  stored: bigint;
  /** The offset up to which rows landed: ahead of `stored` by what landed since the last store. */
  landed: bigint;
  /** Whether `landed` is known; false after a start, a failure or an assignment, until a check by event id. */
  sure: boolean;
  storedAt: number;
}

/** A change to write, with its index in the batch. */
interface Entry<TEvent> {
  readonly change: SinkChange<TEvent>;
  readonly index: number;
}

type ValueSourceOf<TEvent> = (change: SinkChange<TEvent>, data: Readonly<Record<string, unknown>>) => unknown;

/** What the sink learned of its table on first use. */
interface Target {
  readonly connection: DuckDBConnection;
  readonly written: readonly ColumnValue[];
  readonly writtenNames: ReadonlySet<string>;
  /** The table has the event id column: append mode can tell what landed by it. */
  readonly eventIds: boolean;
  readonly sources: readonly ValueSourceOf<never>[];
  /** Upsert mode: the temporary table a batch is appended to before one INSERT … SELECT. */
  readonly stage: string | undefined;
  /** Upsert mode: the merge statements, prepared, and the one that empties the stage. */
  readonly merges: readonly DuckDBPreparedStatement[];
  readonly clearStage: DuckDBPreparedStatement | undefined;
}

// How far the stored offsets of append mode may lag the rows (the event ids cover the gap).
const offsetStoreIntervalMs = 1_000;

// DuckDB's vector size: a data chunk holds at most this many rows.
const chunkRows = 2048;

const fixedMeta = { eventId: 'event_id', eventTime: 'event_time', deleted: 'deleted' } as const;

/**
 * Lands changes in a DuckDB table. In `upsert` mode (the default) a table keyed by entity holds
 * each key's newest state: a batch is collapsed to the newest change per key, appended to a
 * temporary table and merged with one `INSERT … ON CONFLICT (key) DO UPDATE … WHERE` the stored
 * version is older (an equal version changes nothing); deletes mark the row `deleted` (or remove
 * it, keeping its version aside) so that an older update cannot bring it back. In `append` mode
 * every change is a row, written with DuckDB's appender; a replayed batch is skipped by the
 * offsets the sink stores beside the rows, which also resume a pipeline from them (exactly once):
 * on a table with event ids they are stored at most a second behind, the ids telling what landed
 * past them; otherwise in each batch's transaction. Rows DuckDB refuses (constraints, values it cannot convert) are found
 * row by row and returned as rejected; I/O failures, a locked file and write conflicts are
 * retryable.
 */
export function createDuckDbSink<const TTopics extends readonly TopicDefinition[]>(
  options: DuckDbSinkOptions<TTopics>,
): DuckDbSink<TopicEvent<TTopics[number]>> {
  type TEvent = TopicEvent<TTopics[number]>;
  checkDuckDbSinkOptions(options);
  const mode: DuckDbSinkMode = options.mode ?? duckDbSinkDefaults.mode;
  const deletes: DuckDbDeleteMode = options.deletes ?? duckDbSinkDefaults.deletes;
  const table = parseTableName(options.table);
  const meta: MetaColumnNames = {
    key: options.keyColumn ?? duckDbSinkDefaults.keyColumn,
    version: options.versionColumn ?? duckDbSinkDefaults.versionColumn,
    ...fixedMeta,
  };
  const metaNames = new Set(Object.values(meta));
  // Only the default mapping derives columns; a mapping of your own names them itself.
  const derived = options.columns === undefined ? derivedDataColumns(options.topics, [...metaNames]) : [];
  const mapColumns = options.columns;
  let owned: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;
  let preparing: Promise<Target> | undefined;
  let closed = false;
  // One connection runs one transaction at a time: writes of different partitions take turns.
  let turn: Promise<unknown> = Promise.resolve();
  // Append mode: each partition's progress, by partitionKey.
  const progress = new Map<string, AppendProgress>();

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = turn.then(work);
    turn = result.catch(() => undefined);
    return result;
  }

  async function connect(): Promise<DuckDBConnection> {
    if (options.connection !== undefined) return options.connection;
    if (owned === undefined) {
      const instance = await DuckDBInstance.create(options.database as string);
      owned = { instance, connection: await instance.connect() };
    }
    return owned.connection;
  }

  async function prepare(): Promise<Target> {
    const connection = await connect();
    await ensureStateTables(connection);
    if (options.ensureTable === true) {
      const columns: DuckDbColumn[] = [
        ...metaColumns(meta).filter(
          (column) => mode === 'append' || deletes === 'mark' || column.name !== meta.deleted,
        ),
        ...derived,
      ];
      await createTableIfMissing(connection, table, columns, mode === 'upsert' ? meta.key : undefined);
    }
    const existing = await tableColumns(connection, table);
    if (existing === undefined)
      throw tableMismatch(table, 'does not exist (create it, or set ensureTable: true)');
    const byName = new Map(existing.map((column) => [column.name, column]));
    const required = [meta.key, ...(mode === 'upsert' ? [meta.version] : [])];
    if (mode === 'upsert' && deletes === 'mark') required.push(meta.deleted);
    if (mapColumns === undefined) required.push(...derived.map((column) => column.name));
    const missing = required.filter((name) => !byName.has(name));
    if (missing.length > 0)
      throw tableMismatch(table, `has no column ${missing.map((name) => `"${name}"`).join(', ')}`);
    if (mode === 'upsert' && !(await isUniqueColumn(connection, table, meta.key)))
      throw tableMismatch(table, `upsert mode needs "${meta.key}" to be its PRIMARY KEY or UNIQUE`);
    const writtenNames =
      mapColumns === undefined
        ? existing.filter(
            (column) => metaNames.has(column.name) || derived.some((data) => data.name === column.name),
          )
        : existing;
    const written = writtenNames.map((column) => columnValue(column.name, column.type));
    const columnsOf = {
      connection,
      written,
      writtenNames: new Set(written.map((column) => column.name)),
      eventIds: written.some((column) => column.name === meta.eventId),
      sources: written.map((column) => sourceOf(column.name)),
    };
    if (mode === 'append') return { ...columnsOf, stage: undefined, merges: [], clearStage: undefined };
    const stage = `inlet_stage_${table.name}_${Math.random().toString(36).slice(2, 10)}`;
    const list = written.map((column) => quoteIdentifier(column.name)).join(', ');
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${quoteIdentifier(stage)} AS
         SELECT ${list}, 0::INTEGER AS inlet_seq, false AS inlet_delete FROM ${table.sql} LIMIT 0`,
    );
    const statements = upsertStatements({
      table,
      columns: written.map((column) => column.name),
      stage,
      meta,
      deletes,
    });
    const merges: DuckDBPreparedStatement[] = [];
    for (const statement of statements) merges.push(await connection.prepare(statement));
    const clearStage = await connection.prepare(`DELETE FROM ${quoteIdentifier(stage)}`);
    return { ...columnsOf, stage, merges, clearStage };
  }

  function target(): Promise<Target> {
    if (closed) return Promise.reject(closedError(`DuckDB sink ${table.text}`));
    preparing ??= prepare().catch((error: unknown) => {
      // A failure worth retrying (a locked file) prepares again on the next write.
      preparing = undefined;
      throw toDuckDbSinkError(error, 'opening the table');
    });
    return preparing;
  }

  type ValueSource = ValueSourceOf<TEvent>;

  /** Where each written column's value comes from: the change itself for the sink's columns, else the data. */
  function sourceOf(name: string): ValueSource {
    switch (name) {
      case meta.key:
        return (change) => entityKeyId(change.key);
      case meta.version:
        return (change) => change.entityVersion;
      case meta.eventId:
        return (change) => (change.kind === 'upsert' ? change.event.id : change.tombstone.id);
      case meta.eventTime:
        return (change) => (change.kind === 'upsert' ? change.event.eventTime : change.tombstone.eventTime);
      case meta.deleted:
        return (change) => change.kind === 'delete';
      default: {
        if (mapColumns !== undefined) return (_, data) => data[name];
        const property = derived.find((column) => column.name === name)?.property ?? name;
        return (_, data) => data[property];
      }
    }
  }

  const noData: Readonly<Record<string, unknown>> = {};

  function eventIdOf(change: SinkChange<TEvent>): string {
    return change.kind === 'upsert' ? change.event.id : change.tombstone.id;
  }

  /** Where a change's data columns come from: the event's data, or what the mapping makes of it. */
  function dataOf(found: Target, change: SinkChange<TEvent>): Readonly<Record<string, unknown>> {
    if (change.kind === 'delete') return noData;
    if (mapColumns === undefined) return change.event.data as Record<string, unknown>;
    const data = mapColumns(change.event);
    const unknown = Object.keys(data).filter((name) => !found.writtenNames.has(name) || metaNames.has(name));
    if (unknown.length > 0)
      throw toDuckDbSinkError(
        new Error(
          `Conversion Error: the mapping gave ${unknown.join(', ')}, not data columns of ${table.text}`,
        ),
        'mapping',
      );
    return data;
  }

  /**
   * The entries' rows as one data chunk, filled column by column; a value that does not fit throws
   * its row's rejection before anything reaches the appender.
   */
  function chunkOf(found: Target, entries: readonly Entry<TEvent>[], staged: boolean): DuckDBDataChunk {
    const { written, sources } = found;
    const types = written.map((column) => column.vectorType);
    if (staged) types.push(INTEGER, BOOLEAN);
    const chunk = DuckDBDataChunk.create(types, entries.length);
    const data = entries.map(({ change }) => dataOf(found, change));
    for (let column = 0; column < written.length; column += 1) {
      const { convert } = written[column] as ColumnValue;
      const source = sources[column] as ValueSource;
      const vector = chunk.getColumnVector(column);
      for (let row = 0; row < entries.length; row += 1)
        vector.setItem(
          row,
          convert(source((entries[row] as Entry<TEvent>).change, data[row] as Record<string, unknown>)),
        );
      vector.flush();
    }
    if (staged) {
      const seq = chunk.getColumnVector(written.length);
      const deleted = chunk.getColumnVector(written.length + 1);
      entries.forEach(({ change, index }, row) => {
        seq.setItem(row, index);
        deleted.setItem(row, change.kind === 'delete');
      });
      seq.flush();
      deleted.flush();
    }
    return chunk;
  }

  async function appendEntries(
    connection: DuckDBConnection,
    found: Target,
    entries: readonly Entry<TEvent>[],
    into: string | undefined,
  ): Promise<void> {
    const key = into ?? table.text;
    const appender = await appenderInto(connection, into);
    try {
      for (let start = 0; start < entries.length; start += chunkRows)
        appender.appendDataChunk(chunkOf(found, entries.slice(start, start + chunkRows), into !== undefined));
      appender.flushSync();
    } catch (error) {
      // An appender that failed keeps failing, and one may hold part of the rows: make a new one.
      dropAppender(key);
      throw error;
    }
  }

  // One appender per table, kept: making one per batch costs more than the batch's commit.
  const appenders = new Map<string, DuckDBAppender>();

  /** The appender of the table, or of the stage (a temporary table) when `stage` is given. */
  async function appenderInto(
    connection: DuckDBConnection,
    stage: string | undefined,
  ): Promise<DuckDBAppender> {
    const key = stage ?? table.text;
    let appender = appenders.get(key);
    if (appender === undefined) {
      appender =
        stage === undefined
          ? await connection.createAppender(table.name, table.schema ?? null)
          : await connection.createAppender(stage, 'main', 'temp');
      appenders.set(key, appender);
    }
    return appender;
  }

  function dropAppender(into: string): void {
    const appender = appenders.get(into);
    appenders.delete(into);
    try {
      appender?.closeSync();
    } catch {
      // Closing flushes again, and fails with the error flushing reported.
    }
  }

  function partitionKey(batch: PartitionRef): string {
    return `${batch.groupId}\u0000${batch.topic}\u0000${batch.partition}`;
  }

  /** The partitions whose offsets row exists: then a prepared UPDATE stores an offset, much cheaper than an upsert. */
  const offsetRows = new Set<string>();
  let offsetUpdate: DuckDBPreparedStatement | undefined;

  /** Outside the write's transaction, so that a rollback cannot take the row away again. */
  async function ensureOffsetRow(connection: DuckDBConnection, batch: PartitionRef): Promise<void> {
    const partition = partitionKey(batch);
    if (offsetRows.has(partition)) return;
    await connection.run(
      `INSERT INTO ${sinkStateTables.offsets} VALUES ($table, $group, $topic, $partition, 0) ON CONFLICT DO NOTHING`,
      { table: table.text, group: batch.groupId, topic: batch.topic, partition: batch.partition },
    );
    offsetRows.add(partition);
  }

  async function storeOffset(connection: DuckDBConnection, batch: PartitionRef, next: bigint): Promise<void> {
    offsetUpdate ??= await connection.prepare(
      `UPDATE ${sinkStateTables.offsets} SET next_offset = greatest(next_offset, $5)
        WHERE table_name = $1 AND group_id = $2 AND topic = $3 AND "partition" = $4`,
    );
    offsetUpdate.bindVarchar(1, table.text);
    offsetUpdate.bindVarchar(2, batch.groupId);
    offsetUpdate.bindVarchar(3, batch.topic);
    offsetUpdate.bindInteger(4, batch.partition);
    offsetUpdate.bindBigInt(5, next);
    await offsetUpdate.run();
  }

  async function progressOf(connection: DuckDBConnection, batch: PartitionRef): Promise<AppendProgress> {
    const key = partitionKey(batch);
    const known = progress.get(key);
    if (known !== undefined) return known;
    const reader = await connection.runAndReadAll(
      `SELECT next_offset FROM ${sinkStateTables.offsets}
        WHERE table_name = $table AND group_id = $group AND topic = $topic AND "partition" = $partition`,
      { table: table.text, group: batch.groupId, topic: batch.topic, partition: batch.partition },
    );
    const stored = (reader.getRowObjectsJS()[0] as { next_offset: bigint } | undefined)?.next_offset ?? 0n;
    const started: AppendProgress = {
      ref: { groupId: batch.groupId, topic: batch.topic, partition: batch.partition },
      stored,
      landed: stored,
      sure: false,
      storedAt: Date.now(),
    };
    progress.set(key, started);
    return started;
  }

  /** Stores the offsets of what landed since they were last stored. */
  async function storeLanded(connection: DuckDBConnection): Promise<void> {
    for (const state of progress.values()) {
      if (state.stored >= state.landed) continue;
      await storeOffset(connection, state.ref, state.landed);
      state.stored = state.landed;
      state.storedAt = Date.now();
    }
  }

  /**
   * The entries not yet in the table, told by their event ids. What landed past the stored offset
   * is a run of whole batches from it (appends of one partition land in order, each at once), so
   * once the last entry of a batch is missing, nothing after it landed either.
   */
  async function withoutLanded(
    found: Target,
    state: AppendProgress,
    entries: readonly Entry<TEvent>[],
  ): Promise<readonly Entry<TEvent>[]> {
    const ids = entries.map(({ change }) => eventIdOf(change));
    const reader = await found.connection.runAndReadAll(
      `SELECT ${quoteIdentifier(meta.eventId)} AS id FROM ${table.sql}
        WHERE ${quoteIdentifier(meta.eventId)} IN (SELECT unnest($ids))`,
      { ids: listValue(ids) },
      { ids: LIST(VARCHAR) },
    );
    const landed = new Set((reader.getRowObjectsJS() as { id: string }[]).map(({ id }) => id));
    if (!landed.has(ids[ids.length - 1] as string)) state.sure = true;
    return landed.size === 0 ? entries : entries.filter((_, index) => !landed.has(ids[index] as string));
  }

  /** Runs the row-level work for each row alone, rejecting those DuckDB refuses; other failures end the write. */
  async function rowByRow(
    entries: readonly Entry<TEvent>[],
    rejected: SinkRejection[],
    work: (entry: Entry<TEvent>) => Promise<void>,
  ): Promise<Entry<TEvent>[]> {
    const done: Entry<TEvent>[] = [];
    for (const entry of entries) {
      try {
        await work(entry);
        done.push(entry);
      } catch (error) {
        if (duckDbFailureKind(error) !== 'row') throw error;
        rejected.push({ index: entry.index, error: toDuckDbSinkError(error, 'writing a row') });
      }
    }
    return done;
  }

  async function writeAppend(found: Target, batch: SinkBatch<TEvent>): Promise<SinkRejection[]> {
    const { connection } = found;
    const state = await progressOf(connection, batch);
    const next = BigInt(batch.nextOffset);
    const entries = batch.changes.map((change, index) => ({ change, index }));
    // Below what landed: a replay.
    let fresh: readonly Entry<TEvent>[] =
      BigInt(batch.changes[0]?.offset ?? 0) >= state.landed
        ? entries
        : entries.filter(({ change }) => BigInt(change.offset) >= state.landed);
    const rejected: SinkRejection[] = [];
    try {
      if (found.eventIds && !state.sure && fresh.length > 0) fresh = await withoutLanded(found, state, fresh);
      if (found.eventIds) {
        // One flush, a transaction of its own; the offset is stored later, as the event ids tell
        // what landed past it: each batch costs no more than its rows.
        await appendEntries(connection, found, fresh, undefined);
      } else {
        await inTransaction(connection, async () => {
          await appendEntries(connection, found, fresh, undefined);
          await storeOffset(connection, batch, next);
        });
        state.stored = next > state.stored ? next : state.stored;
      }
    } catch (error) {
      try {
        if (duckDbFailureKind(error) !== 'row') throw error;
        await appendRowByRow(found, batch, fresh, rejected);
      } catch (failure) {
        // Whether it landed is known again only by looking.
        state.sure = false;
        throw failure;
      }
      state.stored = next > state.stored ? next : state.stored;
    }
    if (next > state.landed) state.landed = next;
    if (state.stored < state.landed && Date.now() - state.storedAt >= offsetStoreIntervalMs) {
      await storeOffset(connection, batch, state.landed);
      state.stored = state.landed;
      state.storedAt = Date.now();
    }
    return rejected;
  }

  /** Each row alone, with the offset past it in the same transaction: a crash in between replays none twice. */
  async function appendRowByRow(
    found: Target,
    batch: SinkBatch<TEvent>,
    fresh: readonly Entry<TEvent>[],
    rejected: SinkRejection[],
  ): Promise<void> {
    const { connection } = found;
    await rowByRow(fresh, rejected, (entry) =>
      inTransaction(connection, async () => {
        await appendEntries(connection, found, [entry], undefined);
        await storeOffset(connection, batch, BigInt(entry.change.offset) + 1n);
      }),
    );
    await storeOffset(connection, batch, BigInt(batch.nextOffset));
  }

  async function writeUpsert(found: Target, batch: SinkBatch<TEvent>): Promise<SinkRejection[]> {
    const { connection, merges } = found;
    const stage = found.stage as string;
    const clearStage = found.clearStage as DuckDBPreparedStatement;
    const indexOf = new Map(batch.changes.map((change, index) => [change, index]));
    const newest = newestPerKey(batch.changes).map((change) => ({
      change,
      index: indexOf.get(change) as number,
    }));
    const rejected: SinkRejection[] = [];
    const merge = async (row: number | null) => {
      for (const statement of merges) {
        statement.bind({ row }, { row: INTEGER });
        await statement.run();
      }
    };
    const next = BigInt(batch.nextOffset);
    try {
      await inTransaction(connection, async () => {
        await clearStage.run();
        await appendEntries(connection, found, newest, stage);
        await merge(null);
        await storeOffset(connection, batch, next);
      });
    } catch (error) {
      if (duckDbFailureKind(error) !== 'row') throw error;
      await clearStage.run();
      const staged = await rowByRow(newest, rejected, (entry) =>
        appendEntries(connection, found, [entry], stage),
      );
      await rowByRow(staged, rejected, (entry) => inTransaction(connection, () => merge(entry.index)));
      await storeOffset(connection, batch, next);
    }
    return rejected;
  }

  const sink: DuckDbSink<TEvent> = {
    name: `duckdb:${table.text}`,
    table: table.text,
    mode,
    write(batch) {
      return serialized(async () => {
        const found = await target();
        if (batch.changes.length === 0) return { rejected: [] };
        try {
          await ensureOffsetRow(found.connection, batch);
          const rejected =
            mode === 'append' ? await writeAppend(found, batch) : await writeUpsert(found, batch);
          return { rejected: rejected.sort((a, b) => a.index - b.index) };
        } catch (error) {
          throw toDuckDbSinkError(error, `writing to ${table.text}`);
        }
      });
    },
    storedOffsets(groupId, partitions) {
      return serialized(async () => {
        const { connection } = await target();
        await storeLanded(connection);
        const reader = await connection.runAndReadAll(
          `SELECT topic, "partition", next_offset FROM ${sinkStateTables.offsets}
            WHERE table_name = $table AND group_id = $group`,
          { table: table.text, group: groupId },
        );
        const stored = reader.getRowObjectsJS() as {
          topic: string;
          partition: number;
          next_offset: bigint;
        }[];
        const offsets: TopicPartitionOffset[] = [];
        for (const { topic, partition } of partitions) {
          const found = stored.find((row) => row.topic === topic && row.partition === partition);
          if (found !== undefined) offsets.push({ topic, partition, offset: String(found.next_offset) });
        }
        // The pipeline resumes from these: what this process knew of its partitions may be stale.
        progress.clear();
        return offsets;
      });
    },
    close() {
      if (closed) return turn.then(() => undefined);
      closed = true;
      return serialized(async () => {
        const found = await preparing?.catch(() => undefined);
        if (found !== undefined) await storeLanded(found.connection).catch(() => undefined);
        for (const into of [...appenders.keys()]) dropAppender(into);
        for (const statement of [
          ...(found?.merges ?? []),
          ...(found?.clearStage === undefined ? [] : [found.clearStage]),
        ])
          statement.destroySync();
        if (found?.stage !== undefined)
          await found.connection
            .run(`DROP TABLE IF EXISTS temp.${quoteIdentifier(found.stage)}`)
            .catch(() => undefined);
        offsetUpdate?.destroySync();
        offsetUpdate = undefined;
        if (owned !== undefined) {
          owned.connection.closeSync();
          owned.instance.closeSync();
          owned = undefined;
        }
      });
    },
  };
  return sink;
}
