import { InletError, InletErrorCode } from '@inlet/core';
import { parseAvroSchema } from '../compatibility/avro/parse-avro-schema';
import type { ComparableSchema } from '../compatibility/check-compatibility';
import { findJsonSchemaIssues, type JsonSchemaDocument } from '../compatibility/json-schema/index';
import type { SchemaDocument, SchemaReference } from './schema-registry';

/** Fetches the text of a referenced schema version. */
export type ReferenceLoader = (reference: SchemaReference) => Promise<SchemaDocument>;

/** The texts of every schema a document refers to, dependencies first, each once. */
export async function referencedTexts(document: SchemaDocument, load: ReferenceLoader): Promise<string[]> {
  const texts: string[] = [];
  const seen = new Set<string>();
  async function visit(references: readonly SchemaReference[] | undefined, depth: number): Promise<void> {
    if (depth > 32) {
      throw new InletError(
        InletErrorCode.schemaInvalid,
        'schema references nest deeper than 32 levels (a cycle?)',
      );
    }
    for (const reference of references ?? []) {
      const key = `${reference.subject}@${reference.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const referenced = await load(reference);
      await visit(referenced.references, depth + 1);
      texts.push(referenced.schema);
    }
  }
  await visit(document.references, 0);
  return texts;
}

/** Parses a registry document for comparison; INLET_SCHEMA_INVALID when it cannot be. */
export function toComparableSchema(
  document: SchemaDocument,
  references: readonly string[] = [],
): ComparableSchema {
  if (document.schemaType === 'AVRO')
    return { schemaType: 'AVRO', type: parseAvroSchema(document.schema, references) };
  let schema: JsonSchemaDocument;
  try {
    schema = JSON.parse(document.schema) as JsonSchemaDocument;
  } catch (cause) {
    throw new InletError(InletErrorCode.schemaInvalid, 'JSON Schema text is not valid JSON', { cause });
  }
  const issues = findJsonSchemaIssues(schema);
  if (issues.length > 0) {
    throw new InletError(
      InletErrorCode.schemaInvalid,
      `invalid JSON Schema: ${issues.map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ')}`,
    );
  }
  return { schemaType: 'JSON', schema };
}

/**
 * The form two schema texts are compared in to decide whether they are "the same schema":
 * whitespace-insensitive, otherwise exact (key order and defaults count).
 */
export function normalizedSchemaText(document: SchemaDocument): string {
  try {
    return JSON.stringify(JSON.parse(document.schema));
  } catch {
    return document.schema;
  }
}
