/** A table as `name` or `schema.name`, quoted for SQL and spelled for messages. */
export interface TableName {
  readonly schema: string | undefined;
  readonly name: string;
  /** Quoted, for SQL. */
  readonly sql: string;
  /** As given, for messages. */
  readonly text: string;
}

export const identifierPattern = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function isTableName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.split('.').length <= 2 &&
    value.split('.').every((part) => identifierPattern.test(part))
  );
}

export function parseTableName(text: string): TableName {
  const parts = text.split('.');
  const name = parts.at(-1) as string;
  const schema = parts.length === 2 ? parts[0] : undefined;
  return {
    schema,
    name,
    sql: schema === undefined ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`,
    text,
  };
}
