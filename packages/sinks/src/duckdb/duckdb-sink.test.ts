import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { type ContractEvent, contractTopic, describeSinkContract, type TargetEntity } from '../sink-contract';
import { createDuckDbSink } from './duckdb-sink';
import type { DuckDbDeleteMode, DuckDbSinkMode } from './duckdb-sink-options';

// Append mode keeps every change of a key: no primary key there.
const itemsTable = (mode: DuckDbSinkMode) => `CREATE TABLE items (
  key VARCHAR${mode === 'upsert' ? ' PRIMARY KEY' : ''}, entity_version BIGINT, event_id VARCHAR, event_time TIMESTAMPTZ, deleted BOOLEAN,
  id VARCHAR, revision BIGINT, value VARCHAR CHECK (value <> 'refused'))`;

interface Database {
  readonly connection: DuckDBConnection;
  close(): Promise<void>;
}

async function openDatabase(where: 'memory' | 'file'): Promise<Database> {
  const directory = where === 'file' ? await mkdtemp(join(tmpdir(), 'inlet-duckdb-')) : undefined;
  const instance = await DuckDBInstance.create(
    directory === undefined ? ':memory:' : join(directory, 'sink.duckdb'),
  );
  const connection = await instance.connect();
  return {
    connection,
    async close() {
      connection.closeSync();
      instance.closeSync();
      if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    },
  };
}

async function readItems(
  connection: DuckDBConnection,
  mode: DuckDbSinkMode,
): Promise<Map<string, TargetEntity>> {
  // Append mode keeps every change: an entity is its last row.
  const sql =
    mode === 'upsert'
      ? 'SELECT key, entity_version, value, deleted FROM items'
      : 'SELECT key, entity_version, value, deleted FROM items QUALIFY row_number() OVER (PARTITION BY key ORDER BY rowid DESC) = 1';
  const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS() as {
    key: string;
    entity_version: bigint | null;
    value: string | null;
    deleted: boolean | null;
  }[];
  return new Map(
    rows.map((row) => [
      row.key,
      {
        revision: row.entity_version === null ? undefined : Number(row.entity_version),
        value: row.value ?? undefined,
        deleted: row.deleted === true,
      },
    ]),
  );
}

function contractFor(where: 'memory' | 'file', mode: DuckDbSinkMode, deletes?: DuckDbDeleteMode) {
  describeSinkContract(`duckdb ${mode}${deletes === undefined ? '' : ` (deletes: ${deletes})`}, ${where}`, {
    async create() {
      const database = await openDatabase(where);
      await database.connection.run(itemsTable(mode));
      const sink = createDuckDbSink({
        connection: database.connection,
        table: 'items',
        topics: [contractTopic],
        mode,
        ...(deletes === undefined ? {} : { deletes }),
      });
      return {
        sink,
        read: () => readItems(database.connection, mode),
        cleanup: () => database.close(),
      };
    },
    versioned: mode === 'upsert',
    refusedItem: (id) => ({ id, revision: 1, value: 'refused' }),
    runs: where === 'memory' ? 25 : 8,
  });
}

contractFor('memory', 'upsert', 'mark');
contractFor('memory', 'upsert', 'remove');
contractFor('memory', 'append');
contractFor('file', 'upsert', 'mark');
contractFor('file', 'upsert', 'remove');
contractFor('file', 'append');

describe('createDuckDbSink', () => {
  it('refuses wrong and contradictory options at creation', () => {
    expect(() => createDuckDbSink({ table: 'items', topics: [contractTopic] } as never)).toThrow(
      /connection: give either connection or database/,
    );
    expect(() =>
      createDuckDbSink({ database: ':memory:', table: 'items; drop', topics: [contractTopic] }),
    ).toThrow(/table: must be a table name/);
    expect(() =>
      createDuckDbSink({
        database: ':memory:',
        table: 'items',
        topics: [contractTopic],
        mood: 'append',
      } as never),
    ).toThrow(/mood: is not an option/);
    expect(() =>
      createDuckDbSink({
        database: ':memory:',
        table: 'items',
        topics: [contractTopic],
        ensureTable: true,
        columns: (event: ContractEvent) => ({ id: event.data.id }),
      }),
    ).toThrow(/ensureTable: cannot create a table for custom columns/);
  });
});
