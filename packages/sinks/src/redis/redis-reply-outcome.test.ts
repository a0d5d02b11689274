import type { InletError } from '@inlet/core';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { changeResultOutcome, redisReplyOutcome } from './redis-reply-outcome';

function reply(message: string): Error {
  return new ReplyError(message);
}

function failure(error: Error) {
  const outcome = redisReplyOutcome(error);
  if (outcome.kind !== 'failed') throw new Error(`expected a failure, got ${outcome.kind}`);
  return outcome.error;
}

describe('redisReplyOutcome', () => {
  it('counts a reply without error as written, and asks for a reload on NOSCRIPT', () => {
    expect(redisReplyOutcome(null)).toEqual({ kind: 'written' });
    expect(redisReplyOutcome(reply('NOSCRIPT No matching script. Please use EVAL.'))).toEqual({
      kind: 'noscript',
    });
  });

  it("rejects the change alone for WRONGTYPE and OOM, with Redis's message", () => {
    const wrongType = reply('WRONGTYPE Operation against a key holding the wrong kind of value');
    const outcome = redisReplyOutcome(wrongType);
    expect(outcome).toMatchObject({ kind: 'rejected', error: { code: 'INLET_REDIS_SINK_WRONG_TYPE' } });
    const error = (outcome as { error: InletError }).error;
    expect(error.message).toContain('WRONGTYPE Operation against a key');
    expect(error.retryable).toBe(false);
    expect(error.cause).toBe(wrongType);
    expect(redisReplyOutcome(reply("OOM command not allowed when used memory > 'maxmemory'."))).toMatchObject(
      {
        kind: 'rejected',
        error: { code: 'INLET_REDIS_SINK_OUT_OF_MEMORY' },
      },
    );
  });

  it('fails the write as retryable for a loading, busy or failing-over server, and a lost connection', () => {
    for (const message of [
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script.',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'CLUSTERDOWN The cluster is down',
    ]) {
      const error = failure(reply(message));
      expect(error).toMatchObject({ code: 'INLET_STORE_UNAVAILABLE', retryable: true });
    }
    expect(failure(new Error('Connection is closed.'))).toMatchObject({ retryable: true });
    expect(failure(new Error('Command timed out'))).toMatchObject({ retryable: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(failure(refused)).toMatchObject({ code: 'INLET_STORE_UNAVAILABLE', retryable: true });
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit'), {
      name: 'MaxRetriesPerRequestError',
    });
    expect(failure(maxRetries)).toMatchObject({ retryable: true });
  });

  it('fails the write for good on anything else', () => {
    expect(failure(reply('NOPERM this user has no permissions'))).toMatchObject({
      code: 'INLET_STORE_FAILED',
      retryable: false,
    });
  });
});

describe('changeResultOutcome', () => {
  it("counts 1 and 0 as written, rejects a WRONGTYPE result with Redis's message", () => {
    expect(changeResultOutcome(1)).toEqual({ kind: 'written' });
    expect(changeResultOutcome(0)).toEqual({ kind: 'written' });
    expect(
      changeResultOutcome('WRONGTYPE Operation against a key holding the wrong kind of value'),
    ).toMatchObject({
      kind: 'rejected',
      error: {
        code: 'INLET_REDIS_SINK_WRONG_TYPE',
        retryable: false,
        message: expect.stringContaining('WRONGTYPE'),
      },
    });
  });

  it('fails the write for good on a result it does not know', () => {
    expect(changeResultOutcome(undefined)).toMatchObject({
      kind: 'failed',
      error: { code: 'INLET_STORE_FAILED', retryable: false },
    });
  });
});
