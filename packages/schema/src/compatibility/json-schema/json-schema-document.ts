/**
 * A JSON Schema as it arrives from a registry: parsed JSON, either a boolean schema or an object.
 * The compatibility rules work on this plain data, never on typed literals.
 */
export type JsonSchemaDocument = boolean | Readonly<Record<string, unknown>>;

/** The JSON Schema drafts Inlet validates with (see `jsonSchema()` in @inlet/core). */
export type JsonSchemaDialect = 'draft-07' | '2019-09' | '2020-12';

/** Chosen the way Inlet's codec chooses its Ajv instance: by `$schema`, draft-07 when absent. */
export function jsonSchemaDialectOf(document: unknown): JsonSchemaDialect {
  const declared = isSchemaObject(document) && typeof document.$schema === 'string' ? document.$schema : '';
  if (declared.includes('2020-12')) return '2020-12';
  if (declared.includes('2019-09')) return '2019-09';
  return 'draft-07';
}

export function isSchemaObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
