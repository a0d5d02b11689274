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
import { appendGuardedWrite } from './redis-guarded-write';
import { changeResultOutcome, redisReplyOutcome } from './redis-reply-outcome';
import type { RedisSinkClient } from './redis-sink-client';
import { type RedisSinkOptions, type RedisSinkSettings, redisSinkSettings } from './redis-sink-options';
import { changesPerScriptCall, versionGuardScript } from './version-guard-script';

/** A sink keeping each entity's newest state in Redis; see `createRedisSink`. */
export interface RedisSink<TEvent> extends Sink<TEvent> {
  write(batch: SinkBatch<TEvent>, context: SinkWriteContext): Promise<SinkWriteResult>;
}

/** One EVALSHA of the version guard script: its changes (by index in the batch), keys and arguments. */
interface ScriptCall {
  readonly indexes: number[];
  readonly keys: string[];
  readonly args: string[];
}

function emptyCall(): ScriptCall {
  return { indexes: [], keys: [], args: [] };
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
  const send = async (calls: readonly ScriptCall[]) => {
    const pipeline = redis.pipeline();
    for (const call of calls)
      pipeline.evalsha(versionGuardScript.sha1, call.keys.length, ...call.keys, ...call.args);
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
    let calls: ScriptCall[] = [];
    let call = emptyCall();
    const add = (target: ScriptCall, index: number) => {
      appendGuardedWrite<InletEvent>(
        batch.changes[index] as never,
        keyPrefix,
        settings,
        target.keys,
        target.args,
      );
      target.indexes.push(index);
    };
    // newestPerKey keeps offset order: each change's index is found walking the batch once.
    let index = -1;
    for (const change of newestPerKey(batch.changes)) {
      do index += 1;
      while (index < batch.changes.length && batch.changes[index] !== change);
      try {
        add(call, index);
      } catch (error) {
        rejected.push({ index, error });
        continue;
      }
      if (call.indexes.length === changesPerScriptCall) {
        calls.push(call);
        call = emptyCall();
      }
    }
    if (call.indexes.length > 0) calls.push(call);
    await unlessAborted(loadScript(), signal);
    for (let reloads = 0; calls.length > 0; ) {
      const replies = await unlessAborted(send(calls), signal);
      const again: ScriptCall[] = [];
      let unscripted = false;
      let failure: InletError | undefined;
      replies.forEach(([error, result], position) => {
        const sent = calls[position] as ScriptCall;
        const outcome = redisReplyOutcome(error);
        if (outcome.kind === 'failed') failure ??= outcome.error;
        else if (outcome.kind === 'noscript') {
          unscripted = true;
          again.push(sent);
        } else if (outcome.kind === 'rejected') {
          // A command of the script failed (out of memory, say): find out change by change.
          if (sent.indexes.length > 1)
            for (const each of sent.indexes) {
              const single = emptyCall();
              add(single, each);
              again.push(single);
            }
          else rejected.push({ index: sent.indexes[0] as number, error: outcome.error });
        } else {
          const results = Array.isArray(result) ? result : [];
          sent.indexes.forEach((changeIndex, each) => {
            const changeOutcome = changeResultOutcome(results[each]);
            if (changeOutcome.kind === 'rejected')
              rejected.push({ index: changeIndex, error: changeOutcome.error });
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
