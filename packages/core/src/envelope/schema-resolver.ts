import type { PayloadCodec } from '../codecs/payload-codec';
import type { AnyEventDefinition } from '../events/define-topic';

/**
 * The port to a schema registry, as producers and consumers need it. `@inlet/schema` implements
 * it for a Confluent-compatible registry and for its embedded registry.
 */
export interface SchemaResolver {
  /**
   * The registry id of a definition's schema for a topic, registering it first when the
   * registry's policy allows; refuses (INLET_SCHEMA_INCOMPATIBLE / INLET_SCHEMA_NOT_REGISTERED)
   * otherwise. Cached after the first call.
   */
  schemaIdFor(topic: string, definition: AnyEventDefinition): Promise<number>;
  /** The same, only from what is already cached (the hot path: no promise per event). */
  cachedSchemaIdFor(topic: string, definition: AnyEventDefinition): number | undefined;
  /** The codec of the schema a writer used, by registry id; INLET_DECODE_UNKNOWN_SCHEMA_ID if none. */
  writerCodecFor(schemaId: number): Promise<PayloadCodec<unknown>>;
  /** The same, only from what is already cached. */
  cachedWriterCodecFor(schemaId: number): PayloadCodec<unknown> | undefined;
}
