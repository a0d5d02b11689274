import { isWellFormedText } from '../codecs/avro/well-formed-strings';
import { InletErrorCode, InletValidationError } from '../errors';

/** An entity key: the thing whose events must stay in order (an order id, a device id). */
export type EntityKey = string | Uint8Array;

/** Checks an entity key is a non-empty string UTF-8 can carry, or non-empty bytes. */
export function checkEntityKey(key: unknown, eventType?: string): asserts key is EntityKey {
  if (typeof key === 'string' && key.length > 0 && isWellFormedText(key)) return;
  if (key instanceof Uint8Array && key.length > 0) return;
  entityKeyBytes(key, eventType);
}

/**
 * The record key an entity key travels as: a string's UTF-8 bytes, or the bytes themselves.
 * Refuses what cannot be a key, including a string with a lone surrogate: UTF-8 has no form for
 * it, so `'\uD800x'` and `'\uDC00x'` would both be written as the bytes of `'\uFFFDx'`.
 */
export function entityKeyBytes(key: unknown, eventType?: string): Buffer {
  if (typeof key === 'string') {
    if (key.length === 0) throw invalidKey(eventType, 'is an empty string');
    if (!isWellFormedText(key)) {
      throw invalidKey(eventType, 'has a lone surrogate, which UTF-8 cannot carry');
    }
    return Buffer.from(key, 'utf8');
  }
  if (key instanceof Uint8Array) {
    if (key.length === 0) throw invalidKey(eventType, 'is empty bytes');
    return Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.length);
  }
  const found = key === null ? 'null' : typeof key;
  throw invalidKey(eventType, `must be a non-empty string or bytes, found ${found}`);
}

// ignoreBOM: a leading U+FEFF is part of the key, not a marker to drop.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * How a record key is read, whoever wrote it (Inlet, kcat, a Java producer): as text when its
 * bytes are valid UTF-8, otherwise as the bytes (a Buffer). Either way `entityKeyBytes` gives the
 * same bytes back, so the key bytes alone decide which entity a record belongs to.
 */
export function entityKeyFromBytes(bytes: Uint8Array): EntityKey {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    return strictUtf8.decode(buffer);
  } catch {
    return buffer;
  }
}

// Text spelled as itself: no backslash first (the bytes form starts with one) and no control
// characters (NUL cannot be stored in PostgreSQL text; the rest make unreadable log lines).
function isPlainText(text: string): boolean {
  if (text.length === 0 || text.charCodeAt(0) === 0x5c) return false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/**
 * One string per entity, equal for two keys exactly when their record key bytes are equal: a
 * string key, or bytes that are UTF-8, as the text itself; anything else as `\x` and the bytes in
 * hex (PostgreSQL's bytea spelling), which no text spelled as itself starts with. Usable as a map
 * key and as text in Redis or PostgreSQL.
 */
export function entityKeyId(key: EntityKey): string {
  const text = typeof key === 'string' ? key : entityKeyFromBytes(key);
  if (typeof text === 'string' && isPlainText(text)) return text;
  return `\\x${entityKeyBytes(key).toString('hex')}`;
}

function invalidKey(eventType: string | undefined, message: string): InletValidationError {
  return new InletValidationError(InletErrorCode.invalidKey, eventType, [{ path: '(key)', message }]);
}
