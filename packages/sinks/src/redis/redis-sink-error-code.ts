/**
 * The codes only the Redis sink raises. A write that fails as a whole is classified by
 * `classifyRedisError` from `@inlet/redis` instead (`INLET_STORE_UNAVAILABLE`, retryable, or
 * `INLET_STORE_FAILED`; see `StoreErrorCode` in `@inlet/store-errors`). Codes are public API and
 * never change meaning; match on them, not on messages.
 */
export const RedisSinkErrorCode = {
  /** The entity's key (or its version key) holds another Redis type: that change is rejected. */
  wrongType: 'INLET_REDIS_SINK_WRONG_TYPE',
  /** Redis refused that change's write for lack of memory (`maxmemory`): it is rejected. */
  outOfMemory: 'INLET_REDIS_SINK_OUT_OF_MEMORY',
  /** The value to store could not be encoded (not JSON-serialisable, or not an object for `hash`). */
  unencodable: 'INLET_REDIS_SINK_UNENCODABLE',
} as const;

export type RedisSinkErrorCode = (typeof RedisSinkErrorCode)[keyof typeof RedisSinkErrorCode];
