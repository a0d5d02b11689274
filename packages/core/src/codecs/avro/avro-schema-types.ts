/**
 * The shape of an Avro schema as written in code (the JSON of the Avro specification).
 *
 * Every object also takes attributes the specification does not define (`doc`, `connect.name`,
 * `precision`...): Avro keeps them as metadata and so do we (they are in `schemaText`).
 */

/** The eight primitive type names. */
export type AvroPrimitiveName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

/** Attributes Avro does not define are allowed everywhere and kept as metadata. */
interface AvroMetadata {
  readonly [attribute: string]: unknown;
}

/** A primitive written as an object, usually to carry a logical type: `{ type: 'long', logicalType: 'timestamp-millis' }`. */
export interface AvroPrimitiveSchema extends AvroMetadata {
  readonly type: AvroPrimitiveName;
  readonly logicalType?: string;
}

export interface AvroField extends AvroMetadata {
  readonly name: string;
  readonly type: AvroSchema;
  /** Written when a value leaves the field out, and read when the writer's schema has no such field. */
  readonly default?: unknown;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly order?: 'ascending' | 'descending' | 'ignore';
}

export interface AvroRecordSchema extends AvroMetadata {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly fields: readonly AvroField[];
}

export interface AvroEnumSchema extends AvroMetadata {
  readonly type: 'enum';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly symbols: readonly string[];
  /** The symbol a reader uses for a writer's symbol it does not know. */
  readonly default?: string;
}

export interface AvroFixedSchema extends AvroMetadata {
  readonly type: 'fixed';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly size: number;
  readonly logicalType?: string;
}

export interface AvroArraySchema extends AvroMetadata {
  readonly type: 'array';
  readonly items: AvroSchema;
}

export interface AvroMapSchema extends AvroMetadata {
  readonly type: 'map';
  readonly values: AvroSchema;
}

/** A union: `['null', 'string']`. */
export type AvroUnionSchema = readonly AvroSchema[];

/**
 * Any Avro schema: a primitive name, the name of a named type defined earlier in the same schema
 * (short or full), an object, or a union.
 */
export type AvroSchema =
  | AvroPrimitiveName
  | (string & {})
  | AvroPrimitiveSchema
  | AvroRecordSchema
  | AvroEnumSchema
  | AvroFixedSchema
  | AvroArraySchema
  | AvroMapSchema
  | AvroUnionSchema;
