import { resolve } from 'node:path';
import { type IncomingRecord, schemaIdOf, unframeConfluent } from '@inlet/core';
import { createConfluentRegistry, createEmbeddedRegistry, type SchemaRegistry } from '@inlet/schema';

/** A value in the Confluent wire format: the writer's registry schema id and the payload after it. */
export interface RegistryFraming {
  readonly schemaId: number;
  readonly payload: Buffer;
}

function contentTypeOf(record: IncomingRecord): string | undefined {
  const header = record.headerList.find((each) => each.name.toLowerCase() === 'content-type');
  return header?.value?.toString('utf8');
}

/** The data of a structured-mode CloudEvent sent as bytes (`data_base64`). */
function structuredDataBytes(value: Buffer): Buffer | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as { data_base64?: unknown };
    return typeof parsed.data_base64 === 'string' ? Buffer.from(parsed.data_base64, 'base64') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How a record's value is framed for a schema registry, if it is: Inlet's records say so in their
 * content type (`; wire=confluent`, binary or structured mode); records of other producers carry
 * no content type, and are taken as framed when they start with the magic byte 0 and a schema id.
 */
export function registryFraming(record: IncomingRecord): RegistryFraming | undefined {
  const value = record.value;
  if (value === null) return undefined;
  const contentType = contentTypeOf(record);
  let framed: Buffer | undefined;
  if (schemaIdOf(record) !== undefined)
    framed = contentType?.toLowerCase().startsWith('application/cloudevents+json')
      ? structuredDataBytes(value)
      : value;
  else if (contentType === undefined) framed = value;
  if (framed === undefined) return undefined;
  const unframed = unframeConfluent(framed);
  return unframed.ok ? { schemaId: unframed.schemaId, payload: unframed.payload } : undefined;
}

/**
 * The registry at `location`: `file:<path>` is the embedded registry kept in that file (relative
 * to `cwd`), anything else a Confluent-compatible URL. Credentials come from the environment, as
 * for `inlet schema check`: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD, or
 * SCHEMA_REGISTRY_TOKEN.
 */
export function openSchemaRegistry(location: string, env: NodeJS.ProcessEnv, cwd: string): SchemaRegistry {
  if (location.startsWith('file:'))
    return createEmbeddedRegistry({ file: resolve(cwd, location.slice('file:'.length)) });
  const { SCHEMA_REGISTRY_USERNAME: username, SCHEMA_REGISTRY_PASSWORD: password } = env;
  const token = env.SCHEMA_REGISTRY_TOKEN;
  const auth =
    username !== undefined && password !== undefined
      ? { type: 'basic' as const, username, password }
      : token !== undefined
        ? { type: 'bearer' as const, token }
        : undefined;
  return createConfluentRegistry({ url: location, ...(auth === undefined ? {} : { auth }), retries: 2 });
}
