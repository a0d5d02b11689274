import { InletError } from '@inlet/core';
import { classifyRedisError } from '@inlet/redis';
import { RedisSinkErrorCode } from './redis-sink-error-code';

/**
 * What a script call's reply (or one change's result in it) means: written (or skipped as older),
 * `noscript` (Redis lost the script: load it and send the call again), `rejected` (refused for
 * good: a key of another type, or Redis out of memory; a call of several changes is then sent
 * again change by change, to find which) or `failed` (the write as a whole failed: a lost
 * connection, a loading or busy server... retryable, or not).
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

function prefixOf(message: string): string {
  return /^[A-Z]+/.exec(message)?.[0] ?? '';
}

function rejection(message: string, cause: unknown): RedisReplyOutcome | undefined {
  const code = rejectedPrefixes[prefixOf(message)];
  if (code === undefined) return undefined;
  return {
    kind: 'rejected',
    error: new InletError(code, `Redis refused the write: ${message}`, { cause, retryable: false }),
  };
}

/** The outcome of a whole script call, from its error in the pipeline's replies. */
export function redisReplyOutcome(error: Error | null): RedisReplyOutcome {
  if (error === null) return { kind: 'written' };
  if (error.name === 'ReplyError') {
    if (prefixOf(error.message) === 'NOSCRIPT') return { kind: 'noscript' };
    const rejected = rejection(error.message, error);
    if (rejected !== undefined) return rejected;
  }
  return { kind: 'failed', error: classifyRedisError(error, 'sink write') };
}

/** The outcome of one change, from its entry in the script's result: 1, 0, or Redis's refusal. */
export function changeResultOutcome(result: unknown): RedisReplyOutcome {
  if (result === 0 || result === 1) return { kind: 'written' };
  const message = String(result);
  return (
    rejection(message, undefined) ?? {
      kind: 'failed',
      error: classifyRedisError(new Error(`unexpected script result ${message}`), 'sink write'),
    }
  );
}
