import { InletError, InletErrorCode } from '@inlet/core';

// Plain, lower-case identifiers only: they mean the same quoted or not, so the table a user
// queries by hand is the table the store writes; 63 bytes is PostgreSQL's limit.
const plainIdentifier = /^[a-z_][a-z0-9_]{0,62}$/;

function identifier(value: unknown, option: string): string {
  if (typeof value !== 'string' || !plainIdentifier.test(value)) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `${option} must be a plain lower-case identifier (a-z, 0-9 and _, not starting with a digit, ` +
        `at most 63 characters), got ${JSON.stringify(value)}`,
    );
  }
  return `"${value}"`;
}

/**
 * The quoted, optionally schema-qualified name of a store's table, from validated options.
 * Quoting keeps reserved words such as `user` or `order` usable as names.
 */
export function postgresTableName(table: unknown, schema: unknown, fallbackTable: string): string {
  const quotedTable = identifier(table ?? fallbackTable, 'table');
  return schema === undefined ? quotedTable : `${identifier(schema, 'schema')}.${quotedTable}`;
}
