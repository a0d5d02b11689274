import type { InletError } from '@inlet/core';
import { classifyPostgresError } from './classify-postgres-error';
import type { PostgresQueryable } from './postgres-pool';

// Two sessions running CREATE TABLE IF NOT EXISTS at once can both miss the table and one then
// fails on the catalog's unique index (23505), with duplicate_table (42P07) or, when they race on
// the table's row type, with duplicate_object (42710): in each case the table is there.
const createdConcurrently = new Set(['23505', '42P07', '42710']);
const undefinedTable = '42P01';

function sqlStateOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * Creates a store's table on first use (`create table if not exists`) and runs the store's
 * queries after it, with their errors classified. Should the table be dropped under a running
 * store, the call fails and the next one creates it again.
 */
export class PostgresTableSetup {
  readonly #pool: PostgresQueryable;
  readonly #createTable: string;
  #ready: Promise<void> | undefined;

  constructor(pool: PostgresQueryable, createTable: string) {
    this.#pool = pool;
    this.#createTable = createTable;
  }

  /** Resolves once the table exists; a failed attempt is tried again on the next call. */
  ready(): Promise<void> {
    if (this.#ready === undefined) {
      const creating = this.#create();
      this.#ready = creating;
      creating.catch(() => {
        if (this.#ready === creating) this.#ready = undefined;
      });
    }
    return this.#ready;
  }

  /** Runs `work` once the table exists; throws its errors classified. */
  async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await work();
    } catch (error) {
      throw this.classify(error, operation);
    }
  }

  /** Classifies an error of a query on the table, and forgets the table when it was dropped. */
  classify(error: unknown, operation: string): InletError {
    if (sqlStateOf(error) === undefinedTable) this.#ready = undefined;
    return classifyPostgresError(error, operation);
  }

  async #create(): Promise<void> {
    try {
      await this.#pool.query(this.#createTable);
    } catch (error) {
      if (!createdConcurrently.has(String(sqlStateOf(error))))
        throw classifyPostgresError(error, 'create table');
    }
  }
}
