import {
  type AnyEventDefinition,
  type AvroSchema,
  avroSchemaOf,
  InletError,
  InletErrorCode,
  jsonSchemaOf,
  type PayloadCodec,
  type SchemaResolver,
} from '@inlet/core';
import type { SchemaDocument, SchemaReference, SchemaRegistry } from '../registry/schema-registry';
import { inlineAvroReferences } from './inline-avro-references';
import { type SubjectNaming, subjectFor } from './subject-naming';

/**
 * `auto`: register a definition's schema on first use (the registry refuses an incompatible one):
 * for development. `require-registered`: only use schemas already registered (by CI, with
 * `inlet schema check` / `registerDefinitions`), refusing others with INLET_SCHEMA_NOT_REGISTERED:
 * for production.
 */
export type RegistrationPolicy = 'auto' | 'require-registered';

export interface SchemaResolverOptions {
  readonly registry: SchemaRegistry;
  /** Default `topic-record`. */
  readonly subjectNaming?: SubjectNaming;
  /** Default `auto`. */
  readonly registration?: RegistrationPolicy;
}

export interface RegistrySchemaResolver extends SchemaResolver {
  readonly registry: SchemaRegistry;
  /** The subject a definition's schema lives under for a topic. */
  subjectFor(topic: string, definition: AnyEventDefinition): string;
}

/** The registry document of a definition's schema. */
export function documentOf(definition: AnyEventDefinition): SchemaDocument {
  return {
    schemaType: definition.codec.format === 'avro' ? 'AVRO' : 'JSON',
    schema: definition.codec.schemaText,
  };
}

type Json = Parameters<typeof inlineAvroReferences>[0];

/**
 * Connects producers and consumers to a schema registry: schema ids for definitions (cached,
 * registered or required per policy) and writer codecs for the ids found on the wire (cached).
 */
export function createSchemaResolver(options: SchemaResolverOptions): RegistrySchemaResolver {
  const { registry } = options;
  const naming = options.subjectNaming ?? 'topic-record';
  const policy = options.registration ?? 'auto';
  if (policy !== 'auto' && policy !== 'require-registered') {
    throw new InletError(InletErrorCode.invalidOption, 'registration must be auto or require-registered');
  }
  const ids = new Map<string, Promise<number>>();
  // By definition, then topic: the per-event lookup builds no key strings.
  const settledIds = new WeakMap<AnyEventDefinition, Map<string, number>>();
  const writers = new Map<number, PayloadCodec<unknown>>();
  const pendingWriters = new Map<number, Promise<PayloadCodec<unknown>>>();

  async function resolveId(topic: string, definition: AnyEventDefinition): Promise<number> {
    const subject = subjectFor(naming, topic, definition);
    const document = documentOf(definition);
    if (policy === 'auto') return (await registry.register(subject, document)).id;
    const found = await registry.lookup(subject, document);
    if (found === undefined) {
      throw new InletError(
        InletErrorCode.schemaNotRegistered,
        `"${definition.type}" version ${definition.version} is not registered under subject "${subject}", and registration is require-registered`,
      );
    }
    return found.id;
  }

  async function referencedSchemas(
    references: readonly SchemaReference[] | undefined,
    into: Map<string, Json>,
  ): Promise<void> {
    for (const reference of references ?? []) {
      if (into.has(reference.name)) continue;
      const found = await registry.version(reference.subject, reference.version);
      if (found === undefined) {
        throw new InletError(
          InletErrorCode.schemaInvalid,
          `reference "${reference.name}" points to ${reference.subject} version ${reference.version}, which does not exist`,
        );
      }
      into.set(reference.name, JSON.parse(found.schema) as Json);
      await referencedSchemas(found.references, into);
    }
  }

  async function buildWriter(id: number): Promise<PayloadCodec<unknown>> {
    const document = await registry.schemaById(id);
    const parsed = JSON.parse(document.schema) as Json;
    if (document.schemaType === 'JSON') return jsonSchemaOf<unknown>()(parsed as object);
    const references = new Map<string, Json>();
    await referencedSchemas(document.references, references);
    const standalone = references.size === 0 ? parsed : inlineAvroReferences(parsed, references);
    return avroSchemaOf<unknown>()(standalone as AvroSchema);
  }

  return {
    registry,
    subjectFor: (topic, definition) => subjectFor(naming, topic, definition),

    schemaIdFor(topic, definition) {
      const settled = settledIds.get(definition)?.get(topic);
      if (settled !== undefined) return Promise.resolve(settled);
      const key = `${topic}\u0000${definition.type}\u0000${definition.version}`;
      let pending = ids.get(key);
      if (pending === undefined) {
        pending = resolveId(topic, definition).then(
          (id) => {
            const byTopic = settledIds.get(definition) ?? new Map<string, number>();
            byTopic.set(topic, id);
            settledIds.set(definition, byTopic);
            ids.delete(key);
            return id;
          },
          (error: unknown) => {
            ids.delete(key);
            throw error;
          },
        );
        ids.set(key, pending);
      }
      return pending;
    },

    cachedSchemaIdFor: (topic, definition) => settledIds.get(definition)?.get(topic),

    writerCodecFor(id) {
      const cached = writers.get(id);
      if (cached !== undefined) return Promise.resolve(cached);
      let pending = pendingWriters.get(id);
      if (pending === undefined) {
        pending = buildWriter(id).then(
          (codec) => {
            writers.set(id, codec);
            pendingWriters.delete(id);
            return codec;
          },
          (error: unknown) => {
            pendingWriters.delete(id);
            throw error;
          },
        );
        pendingWriters.set(id, pending);
      }
      return pending;
    },

    cachedWriterCodecFor: (id) => writers.get(id),
  };
}
