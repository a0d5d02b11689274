import { InletErrorCode, InletValidationError } from '../errors';

/** An entity key: the thing whose events must stay in order (an order id, a device id). */
export type EntityKey = string | Uint8Array;

/** Checks an entity key is a non-empty string or non-empty bytes. */
export function checkEntityKey(key: unknown, eventType?: string): asserts key is EntityKey {
  if (typeof key === 'string' && key.length > 0) return;
  if (key instanceof Uint8Array && key.length > 0) return;
  entityKeyBytes(key, eventType);
}

/** Checks an entity key is a non-empty string or non-empty bytes; returns its bytes. */
export function entityKeyBytes(key: unknown, eventType?: string): Buffer {
  if (typeof key === 'string') {
    if (key.length === 0) throw invalidKey(eventType, 'is an empty string');
    return Buffer.from(key, 'utf8');
  }
  if (key instanceof Uint8Array) {
    if (key.length === 0) throw invalidKey(eventType, 'is empty bytes');
    return Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.length);
  }
  const found = key === null ? 'null' : typeof key;
  throw invalidKey(eventType, `must be a non-empty string or bytes, found ${found}`);
}

function invalidKey(eventType: string | undefined, message: string): InletValidationError {
  return new InletValidationError(InletErrorCode.invalidKey, eventType, [{ path: '(key)', message }]);
}
