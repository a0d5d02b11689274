/** The schema formats Inlet writes; registries name them like this (`schemaType`). */
export type SchemaType = 'AVRO' | 'JSON';

export const compatibilityModes = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

/**
 * BACKWARD: the new schema can read data written with the previous one (upgrade consumers first).
 * FORWARD: the previous schema can read data written with the new one (upgrade producers first).
 * FULL: both. `_TRANSITIVE`: against every earlier version, not just the latest. NONE: no check.
 */
export type CompatibilityMode = (typeof compatibilityModes)[number];

/** A reference from one schema to another registered schema (Avro named types, JSON `$ref`). */
export interface SchemaReference {
  /** How the referring schema names it: an Avro full name, or a JSON `$ref` URL. */
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/** A schema as a registry stores it. */
export interface SchemaDocument {
  readonly schemaType: SchemaType;
  /** The schema text, exactly as registered. */
  readonly schema: string;
  readonly references?: readonly SchemaReference[];
}

/** A schema registered under a subject. */
export interface RegisteredSchema extends SchemaDocument {
  /** Global id, the one in the Confluent wire format. */
  readonly id: number;
  readonly subject: string;
  readonly version: number;
}

/**
 * A Confluent-compatible schema registry: the REST client for a real one, or the embedded one.
 * Both follow the Confluent semantics; where a real registry behaves otherwise the package README
 * says so.
 */
export interface SchemaRegistry {
  readonly kind: 'confluent' | 'embedded';
  /**
   * Registers a schema under a subject and returns its id and version. Registering a schema the
   * subject already has returns the existing registration. A schema incompatible with the
   * subject's configured compatibility is refused with INLET_SCHEMA_INCOMPATIBLE.
   */
  register(subject: string, document: SchemaDocument): Promise<RegisteredSchema>;
  /** The registration of exactly this schema under the subject, if any. */
  lookup(subject: string, document: SchemaDocument): Promise<RegisteredSchema | undefined>;
  /** A schema by global id; INLET_DECODE_UNKNOWN_SCHEMA_ID when there is none. */
  schemaById(id: number): Promise<SchemaDocument>;
  /** A subject's version (`latest` for the newest); undefined when the subject or version does not exist. */
  version(subject: string, version: number | 'latest'): Promise<RegisteredSchema | undefined>;
  /** A subject's versions, oldest first; empty when the subject does not exist. */
  versions(subject: string): Promise<number[]>;
  subjects(): Promise<string[]>;
  /** Deletes a subject (soft, or with `permanent` after a soft delete); returns the versions deleted. */
  deleteSubject(subject: string, options?: { readonly permanent?: boolean }): Promise<number[]>;
  /** The compatibility in force for a subject (its own, else the global default), or the global one. */
  compatibility(subject?: string): Promise<CompatibilityMode>;
  setCompatibility(mode: CompatibilityMode, subject?: string): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
