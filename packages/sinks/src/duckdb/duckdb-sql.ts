import type { DuckDBConnection } from '@duckdb/node-api';

/** A name as a DuckDB identifier, quoted. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table name as given (`name` or `schema.name`): its parts and the quoted reference. */
export interface TableName {
  readonly schema: string | undefined;
  readonly name: string;
  readonly sql: string;
  /** As given, for messages and the offsets table. */
  readonly text: string;
}

export function parseTableName(text: string): TableName {
  const parts = text.split('.');
  const name = parts[parts.length - 1] as string;
  const schema = parts.length > 1 ? parts[0] : undefined;
  return {
    schema,
    name,
    sql: parts.map(quoteIdentifier).join('.'),
    text,
  };
}

/** Runs `body` in a transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(connection: DuckDBConnection, body: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await body();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    // After a failed statement DuckDB may have ended the transaction already.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
