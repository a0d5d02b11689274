import type { AnyEventDefinition, TopicDefinition } from '@inlet/core';
import { InletPostgresSinkError } from './postgres-error-classes';
import { PostgresSinkErrorCode } from './postgres-sink-error-code';

/** A column the sink derives from a top-level property of the events' schemas. */
export interface DataColumn {
  /** The column's name: the property's, in snake_case. */
  readonly name: string;
  /** The PostgreSQL type it is created with. */
  readonly type: string;
  /** The property of the event data it is filled from. */
  readonly property: string;
}

/** `orderId` → `order_id`, `HTTPStatus` → `http_status`, `line-items` → `line_items`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

type JsonSchemaNode = Readonly<Record<string, unknown>>;

/** The PostgreSQL type of a JSON Schema property: text, bigint, double precision, boolean, timestamptz or jsonb. */
export function postgresTypeOfJsonSchema(node: unknown): string {
  if (typeof node !== 'object' || node === null) return 'jsonb';
  const schema = node as JsonSchemaNode;
  const declared = Array.isArray(schema.type)
    ? (schema.type as unknown[]).filter((type) => type !== 'null')
    : [schema.type];
  const type = declared.length === 1 ? declared[0] : undefined;
  if (type === undefined && Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string'))
    return 'text';
  switch (type) {
    case 'string':
      return schema.format === 'date-time' ? 'timestamptz' : 'text';
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    default:
      return 'jsonb';
  }
}

/** The PostgreSQL type of an Avro field's type (a nullable union counts as its other branch). */
export function postgresTypeOfAvro(type: unknown): string {
  if (Array.isArray(type)) {
    const branches = type.filter((branch) => branch !== 'null');
    return branches.length === 1 ? postgresTypeOfAvro(branches[0]) : 'jsonb';
  }
  const named = typeof type === 'object' && type !== null ? (type as JsonSchemaNode) : undefined;
  if (named?.logicalType === 'timestamp-millis' || named?.logicalType === 'timestamp-micros')
    return 'timestamptz';
  switch (named === undefined ? type : named.type) {
    case 'string':
    case 'enum':
      return 'text';
    case 'int':
    case 'long':
      return 'bigint';
    case 'float':
    case 'double':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'bytes':
    case 'fixed':
      return 'bytea';
    default:
      return 'jsonb';
  }
}

/** The top-level properties of an event definition's schema, each with its PostgreSQL type. */
function propertiesOf(definition: AnyEventDefinition): { property: string; type: string }[] {
  const { format, schema } = definition.codec as { format: string; schema: unknown };
  const node = (typeof schema === 'object' && schema !== null ? schema : {}) as JsonSchemaNode;
  if (format === 'avro') {
    const fields = Array.isArray(node.fields) ? (node.fields as JsonSchemaNode[]) : [];
    return fields.map((field) => ({ property: String(field.name), type: postgresTypeOfAvro(field.type) }));
  }
  const properties = (node.properties ?? {}) as Readonly<Record<string, unknown>>;
  return Object.entries(properties).map(([property, each]) => ({
    property,
    type: postgresTypeOfJsonSchema(each),
  }));
}

/**
 * The data columns of the events of these topics: every top-level property of every event
 * definition, once, in the order first seen. Refused: two properties meeting in one column with
 * different types, or a property landing on a column the sink keeps for itself.
 */
export function dataColumnsOf(topics: readonly TopicDefinition[], reserved: readonly string[]): DataColumn[] {
  const columns = new Map<string, DataColumn>();
  for (const topic of topics) {
    for (const definition of topic.events as readonly AnyEventDefinition[]) {
      for (const { property, type } of propertiesOf(definition)) {
        const name = snakeCase(property);
        const conflict = (why: string) =>
          new InletPostgresSinkError(
            PostgresSinkErrorCode.columnConflict,
            `property "${property}" of event "${definition.type}" maps to column "${name}", ${why}; map the columns yourself with the columns option`,
            undefined,
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

/** A value as the parameter of a column of this type: JSON as text, times in ISO form. */
export function columnValue(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (type === 'json' || type === 'jsonb') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

const toJson = (value: unknown): unknown =>
  value === undefined || value === null ? null : JSON.stringify(value);
const toParameter = (value: unknown): unknown => columnValue(value, '');

/** How values of a column of this type become parameters, chosen once per column. */
export function converterFor(type: string): (value: unknown) => unknown {
  return type === 'json' || type === 'jsonb' ? toJson : toParameter;
}
