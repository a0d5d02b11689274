import { type EntityKey, entityKeyId } from '@inlet/core';

/** The Redis keys one entity's state is kept under. */
export interface RedisEntityKeys {
  /** The value: a string (JSON) or a hash. */
  readonly value: string;
  /** Its entity version, beside it: the value's key with `:v` appended. */
  readonly version: string;
}

export const versionKeySuffix = ':v';

/** `keyPrefix` + the entity key's id (its text, or `\x` + hex for binary keys), and its version key. */
export function redisEntityKeys(keyPrefix: string, key: EntityKey): RedisEntityKeys {
  const value = `${keyPrefix}${entityKeyId(key)}`;
  return { value, version: `${value}${versionKeySuffix}` };
}
