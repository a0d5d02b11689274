/**
 * A property name as the sinks name its column (`orderId` → `order_id`, `line-items` →
 * `line_items`), so that event data and Redis values compare with PostgreSQL and DuckDB columns.
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/** An object's top-level properties under their column names. */
export function columnsOf(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(value)) row[snakeCase(name)] = property;
  return row;
}
