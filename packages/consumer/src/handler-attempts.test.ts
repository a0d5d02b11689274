import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createInMemoryBackbone } from '@inlet/backbone';
import { headerViews, type IncomingRecord, InletError, InletErrorCode, silentLogger } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RetryMessage } from './consumer-diagnostics';
import { resolveConsumerOptions } from './consumer-options';
import { ordersTopic } from './fixtures/orders.fixture';
import { HandlerAttempts, type HandlerAttemptsOptions, UnrecoverableEventError } from './handler-attempts';
import { AbandonedWork, ConsumerFailedError } from './retries';

const never = new AbortController().signal;
const where: IncomingRecord = {
  topic: 'orders',
  partition: 2,
  offset: '41',
  key: Buffer.from('o-1'),
  value: Buffer.from('{}'),
  ...headerViews([]),
  timestamp: 0,
};

// The consumer's own default: Inlet errors by their flag, anything else retryable.
const transport = createInMemoryBackbone();
afterAll(() => transport.close());
const defaultIsRetryable = resolveConsumerOptions({
  transport,
  groupId: 'g',
  topics: [ordersTopic('attempts')],
  handle: async () => undefined,
}).isRetryable;

function attemptsWith(options: Partial<HandlerAttemptsOptions> = {}) {
  let retried = 0;
  const attempts = new HandlerAttempts({
    groupId: 'attempts-group',
    retries: 3,
    delays: { minDelayMs: 1, maxDelayMs: 1 },
    isRetryable: defaultIsRetryable,
    logger: silentLogger,
    onRetry: () => {
      retried += 1;
    },
    ...options,
  });
  return { attempts, retried: () => retried };
}

/** An attempt function failing with `errors` in turn, then succeeding; records the attempt numbers. */
function handler(...errors: unknown[]) {
  const numbers: number[] = [];
  return {
    numbers,
    attemptOnce: async (attempt: number) => {
      numbers.push(attempt);
      const error = errors[numbers.length - 1];
      if (error !== undefined) throw error;
    },
  };
}

const retryMessages: RetryMessage[] = [];
const onRetryMessage = (message: unknown) => retryMessages.push(message as RetryMessage);
afterEach(() => {
  unsubscribe('inlet:consumer:retry', onRetryMessage);
  retryMessages.length = 0;
});

describe('HandlerAttempts', () => {
  it('succeeds on the first attempt without retrying', async () => {
    const { attempts, retried } = attemptsWith();
    const { numbers, attemptOnce } = handler();
    await expect(attempts.run(attemptOnce, never, where)).resolves.toBeUndefined();
    expect(numbers).toEqual([1]);
    expect(retried()).toBe(0);
  });

  it('retries a failing handler, numbering its attempts, until it succeeds', async () => {
    const { attempts, retried } = attemptsWith({ retries: 3 });
    const { numbers, attemptOnce } = handler(new Error('timeout'), new Error('timeout'));
    await expect(attempts.run(attemptOnce, never, where)).resolves.toBeUndefined();
    expect(numbers).toEqual([1, 2, 3]);
    expect(retried()).toBe(2);
  });

  it('gives up after `retries` retries with the last error and the attempts made', async () => {
    const { attempts, retried } = attemptsWith({ retries: 2 });
    const last = new Error('third');
    const { numbers, attemptOnce } = handler(new Error('first'), new Error('second'), last);
    const failure = await attempts.run(attemptOnce, never, where);
    expect(numbers).toEqual([1, 2, 3]);
    expect(retried()).toBe(2);
    expect(failure?.attempts).toBe(3);
    expect(failure?.error).toMatchObject({
      code: InletErrorCode.handlerFailed,
      message: 'third',
      cause: last,
    });
  });

  it('with no retries, gives up after the first attempt', async () => {
    const { attempts } = attemptsWith({ retries: 0 });
    const { numbers, attemptOnce } = handler(new Error('once'));
    expect((await attempts.run(attemptOnce, never, where))?.attempts).toBe(1);
    expect(numbers).toEqual([1]);
  });

  it('stops at once on UnrecoverableEventError, even when isRetryable says otherwise', async () => {
    const { attempts, retried } = attemptsWith({ isRetryable: () => true });
    const poison = new UnrecoverableEventError('order references a deleted customer');
    const { numbers, attemptOnce } = handler(poison);
    const failure = await attempts.run(attemptOnce, never, where);
    expect(failure).toEqual({ error: poison, attempts: 1 });
    expect(numbers).toEqual([1]);
    expect(retried()).toBe(0);
    expect(poison).toMatchObject({ code: InletErrorCode.handlerFailed, retryable: false });
  });

  it('stops at once on an Inlet error that is not retryable, and retries one that is', async () => {
    const { attempts } = attemptsWith();
    const invalid = new InletError(InletErrorCode.validationFailed, 'bad data');
    const stopped = handler(invalid);
    expect(await attempts.run(stopped.attemptOnce, never, where)).toEqual({ error: invalid, attempts: 1 });
    const busy = new InletError(StoreErrorCode.storeUnavailable, 'busy', { retryable: true });
    const retried = handler(busy);
    expect(await attempts.run(retried.attemptOnce, never, where)).toBeUndefined();
    expect(retried.numbers).toEqual([1, 2]);
  });

  it('honours isRetryable', async () => {
    const seen: unknown[] = [];
    const { attempts } = attemptsWith({
      isRetryable: (error) => {
        seen.push(error);
        return !(error instanceof RangeError);
      },
    });
    const fatal = new RangeError('no such account');
    const { numbers, attemptOnce } = handler(new Error('flaky'), fatal);
    const failure = await attempts.run(attemptOnce, never, where);
    expect(numbers).toEqual([1, 2]);
    expect(failure?.attempts).toBe(2);
    expect(failure?.error.cause).toBe(fatal);
    expect(seen).toHaveLength(2);
  });

  it('does not retry once the signal has fired', async () => {
    const { attempts, retried } = attemptsWith();
    const controller = new AbortController();
    controller.abort();
    const { numbers, attemptOnce } = handler(new Error('failed'));
    expect((await attempts.run(attemptOnce, controller.signal, where))?.attempts).toBe(1);
    expect(numbers).toEqual([1]);
    expect(retried()).toBe(0);
  });

  it('stops waiting and trying again when the signal fires during the backoff', async () => {
    const controller = new AbortController();
    const { attempts } = attemptsWith({
      delays: { minDelayMs: 60_000, maxDelayMs: 60_000 },
      onRetry: () => setImmediate(() => controller.abort()),
    });
    const { numbers, attemptOnce } = handler(new Error('failed'), new Error('failed'));
    const failure = await attempts.run(attemptOnce, controller.signal, where);
    expect(failure?.attempts).toBe(1);
    expect(numbers).toEqual([1]);
  });

  it('lets ConsumerFailedError and AbandonedWork through untouched, from any attempt', async () => {
    const { attempts } = attemptsWith();
    const failed = new ConsumerFailedError(StoreErrorCode.storeUnavailable, 'store down');
    const first = handler(failed);
    await expect(attempts.run(first.attemptOnce, never, where)).rejects.toBe(failed);
    expect(first.numbers).toEqual([1]);
    const abandoned = new AbandonedWork('revoked');
    const second = handler(new Error('flaky'), abandoned);
    await expect(attempts.run(second.attemptOnce, never, where)).rejects.toBe(abandoned);
    expect(second.numbers).toEqual([1, 2]);
  });

  it('retry() goes on from a first attempt made elsewhere, with attempt 2', async () => {
    const { attempts, retried } = attemptsWith({ retries: 3 });
    const { numbers, attemptOnce } = handler(new Error('second fails'));
    await expect(
      attempts.retry(new Error('first failed'), attemptOnce, never, where),
    ).resolves.toBeUndefined();
    expect(numbers).toEqual([2, 3]);
    expect(retried()).toBe(2);
    const gone = await attempts.retry(new UnrecoverableEventError('poison'), attemptOnce, never, where);
    expect(gone?.attempts).toBe(1);
    await expect(
      attempts.retry(new AbandonedWork('closing'), attemptOnce, never, where),
    ).rejects.toBeInstanceOf(AbandonedWork);
  });

  it('publishes each retry on inlet:consumer:retry with the record it is for', async () => {
    subscribe('inlet:consumer:retry', onRetryMessage);
    const { attempts } = attemptsWith({ retries: 1 });
    const { attemptOnce } = handler(new Error('one'), new Error('two'));
    await attempts.run(attemptOnce, never, where);
    expect(retryMessages).toHaveLength(1);
    expect(retryMessages[0]).toMatchObject({
      groupId: 'attempts-group',
      service: 'handler',
      operation: 'handle',
      attempt: 1,
      topic: 'orders',
      partition: 2,
      offset: '41',
    });
    expect(retryMessages[0]?.error.message).toBe('one');
  });
});
