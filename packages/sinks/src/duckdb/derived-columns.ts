import { InletError, type TopicDefinition } from '@inlet/core';
import { DuckDbSinkErrorCode } from './duckdb-sink-error-code';

/** A column of the target table: its name and DuckDB type. */
export interface DuckDbColumn {
  readonly name: string;
  readonly type: string;
}

/** The columns every derived table has besides the data: the names the options can change. */
export interface MetaColumnNames {
  readonly key: string;
  readonly version: string;
  readonly eventId: string;
  readonly eventTime: string;
  readonly deleted: string;
}

/** `orderId` → `order_id`, `HTTPStatus` → `http_status`, `line-items` → `line_items`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

type SchemaNode = Readonly<Record<string, unknown>>;

function jsonColumnType(property: unknown): string {
  if (typeof property !== 'object' || property === null) return 'JSON';
  const node = property as SchemaNode;
  const declared = node.type;
  const types = (Array.isArray(declared) ? declared : [declared]).filter(
    (type): type is string => typeof type === 'string' && type !== 'null',
  );
  if (types.length === 0 && Array.isArray(node.enum) && node.enum.every((value) => typeof value === 'string'))
    return 'VARCHAR';
  if (types.length !== 1) return 'JSON';
  switch (types[0]) {
    case 'string':
      return node.format === 'date-time' ? 'TIMESTAMPTZ' : 'VARCHAR';
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    default:
      return 'JSON';
  }
}

function avroColumnType(type: unknown): string {
  if (Array.isArray(type)) {
    const present = type.filter((each) => each !== 'null');
    return present.length === 1 ? avroColumnType(present[0]) : 'JSON';
  }
  if (typeof type === 'object' && type !== null) {
    const node = type as SchemaNode;
    if (node.logicalType === 'timestamp-millis' || node.logicalType === 'timestamp-micros')
      return 'TIMESTAMPTZ';
    if (
      typeof node.type === 'string' &&
      node.type !== 'record' &&
      node.type !== 'array' &&
      node.type !== 'map'
    )
      return node.type === 'enum' ? 'VARCHAR' : avroColumnType(node.type);
    return 'JSON';
  }
  switch (type) {
    case 'string':
    case 'enum':
      return 'VARCHAR';
    case 'bytes':
    case 'fixed':
      return 'BLOB';
    case 'int':
    case 'long':
      return 'BIGINT';
    case 'float':
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    default:
      return 'JSON';
  }
}

/** The data properties of one event definition, with the type each becomes. */
function propertiesOf(codec: { readonly format?: unknown; readonly schema?: unknown }): [string, string][] {
  const schema = codec.schema;
  if (typeof schema !== 'object' || schema === null) return [];
  if (codec.format === 'avro') {
    const fields = (schema as SchemaNode).fields;
    if (!Array.isArray(fields)) return [];
    return fields.map((field: { name: string; type: unknown }) => [field.name, avroColumnType(field.type)]);
  }
  const properties = (schema as SchemaNode).properties;
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.entries(properties).map(([name, property]) => [name, jsonColumnType(property)]);
}

/** One data column: where its value comes from in the event's data. */
export interface DerivedDataColumn extends DuckDbColumn {
  readonly property: string;
}

/**
 * The data columns of the topics' events: every top-level property of every event definition,
 * once, in snake_case, typed from its schema, in the order first seen. Refused (as the PostgreSQL
 * sink does): two properties meeting in one column, one property typed two ways, or a property
 * landing on a column the sink keeps for itself; map the columns yourself then.
 */
export function derivedDataColumns(
  topics: readonly TopicDefinition[],
  reserved: readonly string[] = [],
): DerivedDataColumn[] {
  const columns = new Map<string, DerivedDataColumn>();
  for (const topic of topics) {
    for (const definition of topic.events) {
      for (const [property, type] of propertiesOf(definition.codec)) {
        const name = snakeCase(property);
        const conflict = (why: string) =>
          new InletError(
            DuckDbSinkErrorCode.columnConflict,
            `property "${property}" of event "${definition.type}" maps to column "${name}", ${why}; map the columns yourself with the columns option`,
          );
        if (name === '' || reserved.includes(name)) throw conflict('which the sink keeps for itself');
        const known = columns.get(name);
        if (known === undefined) columns.set(name, { name, type, property });
        else if (known.property !== property || known.type !== type)
          throw conflict(`which property "${known.property}" (${known.type}) already maps to`);
      }
    }
  }
  return [...columns.values()];
}

/** The meta columns' types, as a derived table has them. */
export function metaColumns(names: MetaColumnNames): DuckDbColumn[] {
  return [
    { name: names.key, type: 'VARCHAR' },
    { name: names.version, type: 'BIGINT' },
    { name: names.eventId, type: 'VARCHAR' },
    { name: names.eventTime, type: 'TIMESTAMPTZ' },
    { name: names.deleted, type: 'BOOLEAN' },
  ];
}
