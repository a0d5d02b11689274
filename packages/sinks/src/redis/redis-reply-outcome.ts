import { InletError } from '@inlet/core';
import { classifyRedisError } from '@inlet/redis';
import { RedisSinkErrorCode } from './redis-sink-error-code';

/**
 * What one script reply of a pipeline means for its change: written (or skipped as older),
 * `noscript` (Redis lost the script: load it and send that change again), `rejected` (this key
 * alone is refused for good: it holds another type, or Redis is out of memory for it) or `failed`
 * (the write as a whole failed: a lost connection, a loading or busy server... retryable, or not).
 */
export type RedisReplyOutcome =
  | { readonly kind: 'written' }
  | { readonly kind: 'noscript' }
  | { readonly kind: 'rejected'; readonly error: InletError }
  | { readonly kind: 'failed'; readonly error: InletError };

const rejectedPrefixes: Readonly<Record<string, RedisSinkErrorCode>> = {
  WRONGTYPE: RedisSinkErrorCode.wrongType,
  OOM: RedisSinkErrorCode.outOfMemory,
};

export function redisReplyOutcome(error: Error | null): RedisReplyOutcome {
  if (error === null) return { kind: 'written' };
  if (error.name === 'ReplyError') {
    const prefix = /^[A-Z]+/.exec(error.message)?.[0] ?? '';
    if (prefix === 'NOSCRIPT') return { kind: 'noscript' };
    const code = rejectedPrefixes[prefix];
    if (code !== undefined)
      return {
        kind: 'rejected',
        error: new InletError(code, `Redis refused the write: ${error.message}`, {
          cause: error,
          retryable: false,
        }),
      };
  }
  return { kind: 'failed', error: classifyRedisError(error, 'sink write') };
}
