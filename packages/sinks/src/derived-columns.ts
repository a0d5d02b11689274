import type { AnyEventDefinition, TopicDefinition } from '@inlet/core';

/** What a derived column holds, before a sink names it in its own SQL. */
export type LogicalType = 'text' | 'timestamp' | 'integer' | 'double' | 'boolean' | 'json' | 'bytes';

/** A column derived from a top-level property of the events' schemas. */
export interface DerivedColumn<Type = LogicalType> {
  /** The column's name: the property's, in snake_case. */
  readonly name: string;
  /** The type it holds. */
  readonly type: Type;
  /** The property of the event data it is filled from. */
  readonly property: string;
}

/**
 * `orderId` → `order_id`, `HTTPStatus` → `http_status`, `line-items` → `line_items`. Underscores a
 * name already has are kept as they are (`a__b` stays `a__b`), so such names never meet.
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

type SchemaNode = Readonly<Record<string, unknown>>;

/** The type of a JSON Schema property; a nullable type counts as its other type. */
export function logicalTypeOfJsonSchema(property: unknown): LogicalType {
  if (typeof property !== 'object' || property === null) return 'json';
  const node = property as SchemaNode;
  const declared = (Array.isArray(node.type) ? node.type : [node.type]).filter(
    (type): type is string => typeof type === 'string' && type !== 'null',
  );
  if (
    declared.length === 0 &&
    Array.isArray(node.enum) &&
    node.enum.every((value) => typeof value === 'string')
  )
    return 'text';
  if (declared.length !== 1) return 'json';
  switch (declared[0]) {
    case 'string':
      return node.format === 'date-time' ? 'timestamp' : 'text';
    case 'integer':
      return 'integer';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

/** The type of an Avro field's type; a nullable union counts as its other branch. */
export function logicalTypeOfAvro(type: unknown): LogicalType {
  if (Array.isArray(type)) {
    const present = type.filter((branch) => branch !== 'null');
    return present.length === 1 ? logicalTypeOfAvro(present[0]) : 'json';
  }
  const named = typeof type === 'object' && type !== null ? (type as SchemaNode) : undefined;
  if (named?.logicalType === 'timestamp-millis' || named?.logicalType === 'timestamp-micros')
    return 'timestamp';
  switch (named === undefined ? type : named.type) {
    case 'string':
    case 'enum':
      return 'text';
    case 'int':
    case 'long':
      return 'integer';
    case 'float':
    case 'double':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'bytes':
    case 'fixed':
      return 'bytes';
    default:
      return 'json';
  }
}

/** The top-level properties of one event definition's schema, each with its type. */
function propertiesOf(definition: AnyEventDefinition): { property: string; type: LogicalType }[] {
  const { format, schema } = definition.codec as { readonly format?: unknown; readonly schema?: unknown };
  if (typeof schema !== 'object' || schema === null) return [];
  if (format === 'avro') {
    const fields = (schema as SchemaNode).fields;
    if (!Array.isArray(fields)) return [];
    return fields.map((field: SchemaNode) => ({
      property: String(field.name),
      type: logicalTypeOfAvro(field.type),
    }));
  }
  const properties = (schema as SchemaNode).properties;
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.entries(properties).map(([property, node]) => ({
    property,
    type: logicalTypeOfJsonSchema(node),
  }));
}

/** How one sink derives its columns. */
export interface DerivedColumnsOptions {
  /** The columns the sink keeps for itself: a property landing on one is refused. */
  readonly reserved?: readonly string[];
  /** The sink's error for a refused column (it carries the sink's own code). */
  readonly conflict: (message: string) => Error;
  /** How the sink names a type in its messages: its SQL type. */
  readonly typeName?: (type: LogicalType) => string;
}

/**
 * The data columns of the events of these topics: every top-level property of every event
 * definition, once, in the order first seen. Refused: two properties meeting in one column, one
 * property typed two ways, or a property landing on a column the sink keeps for itself.
 */
export function derivedColumns(
  topics: readonly TopicDefinition[],
  options: DerivedColumnsOptions,
): DerivedColumn[] {
  const { reserved = [], conflict, typeName = (type: LogicalType) => type } = options;
  const columns = new Map<string, DerivedColumn>();
  for (const topic of topics) {
    for (const definition of topic.events as readonly AnyEventDefinition[]) {
      for (const { property, type } of propertiesOf(definition)) {
        const name = snakeCase(property);
        const refuse = (why: string) =>
          conflict(
            `property "${property}" of event "${definition.type}" maps to column "${name}", ${why}; map the columns yourself with the columns option`,
          );
        if (name === '' || reserved.includes(name)) throw refuse('which the sink keeps for itself');
        const known = columns.get(name);
        if (known === undefined) columns.set(name, { name, type, property });
        else if (known.property !== property || known.type !== type)
          throw refuse(`which property "${known.property}" (${typeName(known.type)}) already maps to`);
      }
    }
  }
  return [...columns.values()];
}
