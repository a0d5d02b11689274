import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';

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

interface TransactionStatements {
  readonly begin: DuckDBPreparedStatement;
  readonly commit: DuckDBPreparedStatement;
}

// Prepared once per connection: parsing BEGIN and COMMIT again is a measurable part of a small write.
const transactionStatements = new WeakMap<DuckDBConnection, Promise<TransactionStatements>>();

function statementsOf(connection: DuckDBConnection): Promise<TransactionStatements> {
  let statements = transactionStatements.get(connection);
  if (statements === undefined) {
    statements = (async () => ({
      begin: await connection.prepare('BEGIN TRANSACTION'),
      commit: await connection.prepare('COMMIT'),
    }))();
    statements.catch(() => transactionStatements.delete(connection));
    transactionStatements.set(connection, statements);
  }
  return statements;
}

/** Runs `body` in a transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(connection: DuckDBConnection, body: () => Promise<T>): Promise<T> {
  const { begin, commit } = await statementsOf(connection);
  await begin.run();
  try {
    const result = await body();
    await commit.run();
    return result;
  } catch (error) {
    // After a failed statement DuckDB may have ended the transaction already.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
