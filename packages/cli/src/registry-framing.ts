import { type IncomingRecord, schemaIdOf, unframeConfluent } from '@inlet/core';

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
