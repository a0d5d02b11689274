import {
  InletError,
  InletErrorCode,
  type InletEvent,
  type TopicDefinition,
  type TopicEvent,
} from '@inlet/core';
import { classifyRedisError } from '@inlet/redis';
import { InletStoreError, StoreErrorCode } from '@inlet/store-errors';
import type { Sink, SinkBatch, SinkRejection, SinkWriteContext, SinkWriteResult } from '../sink';
import { newestPerKey } from '../sink-changes';
import { type GuardedWrite, guardedWrite } from './redis-guarded-write';
import { changeResultOutcome, redisReplyOutcome } from './redis-reply-outcome';
import type { RedisSinkClient } from './redis-sink-client';
import { type RedisSinkOptions, type RedisSinkSettings, redisSinkSettings } from './redis-sink-options';
import { changesPerScriptCall, versionGuardScript } from './version-guard-script';

/** A sink keeping each entity's newest state in Redis; see `createRedisSink`. */
export interface RedisSink<TEvent> extends Sink<TEvent> {
  write(batch: SinkBatch<TEvent>, context: SinkWriteContext): Promise<SinkWriteResult>;
}

interface PendingWrite {
  /** The change's index in the batch. */
  readonly index: number;
  readonly write: GuardedWrite;
}

// Redis lost the script (a restart, SCRIPT FLUSH) while a write was on its way: load it again and
// resend those changes. More than this in one write means something keeps flushing it.
const maxScriptReloads = 3;

function aborted(): InletError {
  return new InletError(InletErrorCode.aborted, 'the Redis sink write was aborted', { retryable: true });
}

/** Settles with `work`, or rejects as soon as `signal` fires (the work itself carries on). */
async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    throw aborted();
  }
  let onAbort: (() => void) | undefined;
  const abort = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, abort]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

function keyPrefixOf(settings: RedisSinkSettings, topic: string): string {
  return typeof settings.keyPrefix === 'string' ? settings.keyPrefix : settings.keyPrefix(topic);
}

/**
 * Events into Redis as a cache of each entity's newest state, with the guarantees of a keyed
 * table: per key, the newest entity version wins, whatever the order and however often batches
 * are written; a delete keeps its version so that a late, older update cannot bring it back.
 * Each batch is collapsed to the newest change per key, and every change is applied by a Lua
 * script (the version check and the write at once; up to 100 changes per call), all of a batch's
 * calls in one pipeline. A key that
 * holds another type, or a write Redis refuses for lack of memory, is rejected alone; a lost
 * connection or a loading, busy or failing-over server fails the write as retryable.
 */
export function createRedisSink<const TTopics extends readonly TopicDefinition[]>(
  options: RedisSinkOptions<TTopics>,
): RedisSink<TopicEvent<TTopics[number]>> {
  const settings = redisSinkSettings(options);
  const redis: RedisSinkClient = options.redis;
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  let loaded: Promise<void> | undefined;

  const loadScript = (): Promise<void> => {
    loaded ??= redis.script('LOAD', versionGuardScript.lua).then(
      (sha1) => {
        if (sha1 !== versionGuardScript.sha1)
          throw new InletError(InletErrorCode.contractViolation, `SCRIPT LOAD answered ${String(sha1)}`);
      },
      (error: unknown) => {
        loaded = undefined;
        throw classifyRedisError(error, 'SCRIPT LOAD');
      },
    );
    return loaded;
  };

  // One pipeline, one script call per group of changes.
  const send = async (calls: readonly (readonly PendingWrite[])[]) => {
    const pipeline = redis.pipeline();
    for (const call of calls) {
      const keys: string[] = [];
      const args: string[] = [];
      for (const { write } of call) {
        keys.push(write.keys[0], write.keys[1]);
        for (const arg of write.args) args.push(arg);
      }
      pipeline.evalsha(versionGuardScript.sha1, keys.length, ...keys, ...args);
    }
    let replies: Awaited<ReturnType<typeof pipeline.exec>>;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      throw classifyRedisError(error, 'sink write');
    }
    if (replies === null || replies.length !== calls.length)
      throw new InletError(InletErrorCode.contractViolation, 'the Redis pipeline answered no replies');
    return replies;
  };

  const writeBatch = async (
    batch: SinkBatch<TopicEvent<TTopics[number]>>,
    signal: AbortSignal,
  ): Promise<SinkWriteResult> => {
    const keyPrefix = keyPrefixOf(settings, batch.topic);
    const rejected: SinkRejection[] = [];
    const pending: PendingWrite[] = [];
    // newestPerKey keeps offset order: each change's index is found walking the batch once.
    let index = -1;
    for (const change of newestPerKey(batch.changes)) {
      do index += 1;
      while (index < batch.changes.length && batch.changes[index] !== change);
      try {
        pending.push({ index, write: guardedWrite<InletEvent>(change, keyPrefix, settings) });
      } catch (error) {
        rejected.push({ index, error });
      }
    }
    let calls: (readonly PendingWrite[])[] = [];
    for (let start = 0; start < pending.length; start += changesPerScriptCall)
      calls.push(pending.slice(start, start + changesPerScriptCall));
    await unlessAborted(loadScript(), signal);
    for (let reloads = 0; calls.length > 0; ) {
      const replies = await unlessAborted(send(calls), signal);
      const again: (readonly PendingWrite[])[] = [];
      let unscripted = false;
      let failure: InletError | undefined;
      replies.forEach(([error, result], position) => {
        const call = calls[position] as readonly PendingWrite[];
        const outcome = redisReplyOutcome(error);
        if (outcome.kind === 'failed') failure ??= outcome.error;
        else if (outcome.kind === 'noscript') {
          unscripted = true;
          again.push(call);
        } else if (outcome.kind === 'rejected') {
          // A command of the script failed (out of memory, say): find out change by change.
          if (call.length > 1) again.push(...call.map((write) => [write]));
          else rejected.push({ index: (call[0] as PendingWrite).index, error: outcome.error });
        } else {
          const results = Array.isArray(result) ? result : [];
          call.forEach((write, each) => {
            const changeOutcome = changeResultOutcome(results[each]);
            if (changeOutcome.kind === 'rejected')
              rejected.push({ index: write.index, error: changeOutcome.error });
            else if (changeOutcome.kind === 'failed') failure ??= changeOutcome.error;
          });
        }
      });
      if (failure !== undefined) throw failure;
      if (unscripted) {
        reloads += 1;
        if (reloads > maxScriptReloads)
          throw new InletStoreError(
            StoreErrorCode.storeUnavailable,
            'Redis keeps losing the sink script (SCRIPT FLUSH?)',
            'redis',
            'NOSCRIPT',
            { retryable: true },
          );
        loaded = undefined;
        await unlessAborted(loadScript(), signal);
      }
      calls = again;
    }
    rejected.sort((a, b) => a.index - b.index);
    return { rejected };
  };

  return {
    name: 'redis',
    async write(batch, { signal }) {
      if (closed) throw new InletError(InletErrorCode.closed, 'the Redis sink is closed');
      const writing = writeBatch(batch, signal);
      inFlight.add(writing);
      try {
        return await writing;
      } finally {
        inFlight.delete(writing);
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
