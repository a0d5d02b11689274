export {
  type AvroCodec,
  type AvroCompatibility,
  type AvroDecodeResult,
  type AvroSchemaDescribes,
  type AvroSchemaMismatch,
  type AvroSchemaOptions,
  avroSchema,
  avroSchemaOf,
  canRead,
} from './avro-schema';
export type {
  AvroArraySchema,
  AvroEnumSchema,
  AvroField,
  AvroFixedSchema,
  AvroMapSchema,
  AvroPrimitiveName,
  AvroPrimitiveSchema,
  AvroRecordSchema,
  AvroSchema,
  AvroUnionSchema,
} from './avro-schema-types';
export type { AvroDataMode, FromAvroSchema } from './from-avro-schema';
