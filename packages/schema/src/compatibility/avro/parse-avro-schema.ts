import { InletError, InletErrorCode } from '@inlet/core';
import avro, { type Type } from 'avsc';

/**
 * Parses registry Avro schema text into an avsc type; `references` are the texts of the schemas
 * it refers to by name, dependencies first. Unions are taken as written (wrapped where
 * ambiguous), since schemas from a registry need not be ones Inlet could type.
 */
export function parseAvroSchema(text: string, references: readonly string[] = []): Type {
  const registry: Record<string, Type> = {};
  try {
    for (const reference of references)
      avro.Type.forSchema(JSON.parse(reference), { registry, wrapUnions: 'auto' });
    return avro.Type.forSchema(JSON.parse(text), { registry, wrapUnions: 'auto' });
  } catch (cause) {
    throw new InletError(
      InletErrorCode.schemaInvalid,
      `invalid Avro schema: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
