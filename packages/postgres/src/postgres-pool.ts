/**
 * The few node-postgres methods Inlet calls, so that what works on PostgreSQL (the consumer's
 * stores, and later sinks and CDC) takes the user's own `pg.Pool` (or anything shaped like it)
 * without any Inlet package depending on pg or its types.
 */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
}

export interface PostgresQueryResult {
  readonly rows: readonly Record<string, unknown>[];
  /** The command tag: `INSERT`, `COMMIT`... (`ROLLBACK` for a COMMIT of a failed transaction). */
  readonly command: string;
}

/** A connection checked out of the pool; given back with `release`, destroyed with `release(error)`. */
export interface PostgresPoolClient extends PostgresQueryable {
  release(destroy?: Error | boolean): void;
  // A checked-out pg client emits `error` when its connection drops between queries, and with no
  // listener that error would end the process: whoever holds the client listens.
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** A `pg.Pool`, or anything with its `query` and `connect`. */
export interface PostgresPool<TClient extends PostgresPoolClient = PostgresPoolClient>
  extends PostgresQueryable {
  connect(): Promise<TClient>;
}
