import { InletError } from '@inlet/core';
import { RedisSinkErrorCode } from './redis-sink-error-code';

function unencodable(message: string, cause?: unknown): InletError {
  return new InletError(RedisSinkErrorCode.unencodable, message, { cause, retryable: false });
}

/** A value as the JSON string stored for it; throws INLET_REDIS_SINK_UNENCODABLE when it has none. */
export function encodeJsonValue(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw unencodable(`the value cannot be stored as JSON: ${(error as Error).message}`, error);
  }
  if (json === undefined) throw unencodable(`the value cannot be stored as JSON (it is ${typeof value})`);
  return json;
}

/**
 * A value as a hash's field/value pairs: one field per own top-level property, strings as they
 * are, everything else as JSON; properties that are undefined are left out.
 */
export function encodeHashValue(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw unencodable(
      `the value cannot be stored as a hash: it must be an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    );
  const pairs: string[] = [];
  for (const [field, property] of Object.entries(value)) {
    if (property === undefined) continue;
    pairs.push(field, typeof property === 'string' ? property : encodeJsonValue(property));
  }
  return pairs;
}

/** What `deletes: 'mark'` stores in place of a deleted entity's value. */
export const deletedMarker = { __deleted: true } as const;
