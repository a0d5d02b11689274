import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { InletError, InletErrorCode, type InletLogger } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetryMessage } from './consumer-diagnostics';
import { ConsumerErrorCode } from './consumer-error-code';
import { AbandonedWork, ConsumerFailedError, endsRetries, ServiceCalls, toInletError } from './retries';

const never = new AbortController().signal;

function recordingLogger() {
  const warnings: { message: string; fields: Readonly<Record<string, unknown>> | undefined }[] = [];
  const logger: InletLogger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => warnings.push({ message, fields }),
    error: () => undefined,
  };
  return { logger, warnings };
}

function serviceCalls(retries = 3, minDelayMs = 1) {
  const { logger, warnings } = recordingLogger();
  let retried = 0;
  const service = new ServiceCalls({
    groupId: 'service-group',
    retries,
    delays: { minDelayMs, maxDelayMs: minDelayMs },
    logger,
    onRetry: () => {
      retried += 1;
    },
  });
  return { service, warnings, retried: () => retried };
}

/** Work that fails with `errors` in turn, then resolves `value`; counts its calls. */
function failing<T>(value: T, ...errors: unknown[]) {
  let calls = 0;
  return {
    calls: () => calls,
    work: async () => {
      calls += 1;
      const error = errors[calls - 1];
      if (error !== undefined) throw error;
      return value;
    },
  };
}

const unavailable = () =>
  new InletError(StoreErrorCode.storeUnavailable, 'connect ECONNREFUSED 127.0.0.1:6379', { retryable: true });

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

const retryMessages: RetryMessage[] = [];
const onRetryMessage = (message: unknown) => retryMessages.push(message as RetryMessage);
afterEach(() => {
  unsubscribe('inlet:consumer:retry', onRetryMessage);
  retryMessages.length = 0;
});

describe('ServiceCalls', () => {
  it('returns what the call returns, trying once when it succeeds', async () => {
    const { service, retried } = serviceCalls();
    const call = failing('answer');
    await expect(service.call('dedup store', 'seen', call.work, never)).resolves.toBe('answer');
    expect(call.calls()).toBe(1);
    expect(retried()).toBe(0);
  });

  it('retries a retryable failure, counting and logging each retry', async () => {
    const { service, retried, warnings } = serviceCalls(3);
    const call = failing([true], unavailable(), new Error('socket hang up'));
    await expect(service.call('dedup store', 'seen', call.work, never)).resolves.toEqual([true]);
    expect(call.calls()).toBe(3);
    expect(retried()).toBe(2);
    expect(warnings.map(({ message }) => message)).toEqual([
      'dedup store seen failed; retrying',
      'dedup store seen failed; retrying',
    ]);
    expect(warnings[0]?.fields).toMatchObject({
      groupId: 'service-group',
      attempt: 1,
      code: 'INLET_STORE_UNAVAILABLE',
    });
  });

  it('fails past its retries with ConsumerFailedError naming the service, operation and attempts', async () => {
    const { service, retried } = serviceCalls(3);
    const cause = unavailable();
    const call = failing(undefined, cause, cause, cause, cause, cause);
    const error = await failureOf(service.call('version store', 'latest', call.work, never));
    expect(error).toBeInstanceOf(ConsumerFailedError);
    const failed = error as ConsumerFailedError;
    expect(failed.code).toBe(StoreErrorCode.storeUnavailable);
    expect(failed.message).toBe(
      'version store latest failed after 4 attempts: connect ECONNREFUSED 127.0.0.1:6379',
    );
    expect(failed.cause).toBe(cause);
    expect(failed.retryable).toBe(false);
    expect(call.calls()).toBe(4);
    expect(retried()).toBe(3);
  });

  it('gives a failure of the dead-letter topic the code INLET_DEAD_LETTER_FAILED, keeping the cause', async () => {
    const { service } = serviceCalls(1);
    const cause = new InletError(InletErrorCode.kafkaConnection, 'broker down', { retryable: true });
    const call = failing(undefined, cause, cause);
    const error = (await failureOf(
      service.call('dead-letter topic', 'write to orders.dlq', call.work, never),
    )) as ConsumerFailedError;
    expect(error).toBeInstanceOf(ConsumerFailedError);
    expect(error.code).toBe(ConsumerErrorCode.deadLetterFailed);
    expect(error.message).toContain('dead-letter topic write to orders.dlq failed after 2 attempts');
    expect(error.cause).toBe(cause);
  });

  it('counts errors that are not Inlet’s as retryable and reports them as INLET_STORE_FAILED', async () => {
    const { service } = serviceCalls(2);
    const cause = new TypeError('store.seen is broken');
    const call = failing(undefined, cause, cause, cause);
    const error = (await failureOf(
      service.call('dedup store', 'seen', call.work, never),
    )) as ConsumerFailedError;
    expect(call.calls()).toBe(3);
    expect(error.code).toBe(StoreErrorCode.storeFailed);
    expect(error.message).toContain('store.seen is broken');
  });

  it('fails at once on an error that is not retryable', async () => {
    const { service, retried } = serviceCalls(5);
    const cause = new InletError(StoreErrorCode.storeFailed, 'relation "marks" does not exist');
    const call = failing(undefined, cause);
    const error = (await failureOf(
      service.call('dedup store', 'mark', call.work, never),
    )) as ConsumerFailedError;
    expect(call.calls()).toBe(1);
    expect(retried()).toBe(0);
    expect(error.code).toBe(StoreErrorCode.storeFailed);
    expect(error.message).toBe(
      'dedup store mark failed after 1 attempt (not retryable): relation "marks" does not exist',
    );
  });

  it('treats a call that throws synchronously like one that rejects', async () => {
    const { service } = serviceCalls(2);
    let calls = 0;
    const work = () => {
      calls += 1;
      if (calls < 3) throw unavailable();
      return 'late';
    };
    await expect(service.call('dedup store', 'seen', work, never)).resolves.toBe('late');
    expect(calls).toBe(3);
    const alwaysThrows = () => {
      throw new InletError(StoreErrorCode.storeFailed, 'bad');
    };
    await expect(service.call('dedup store', 'seen', alwaysThrows, never)).rejects.toBeInstanceOf(
      ConsumerFailedError,
    );
  });

  it('rethrows errors passThrough accepts, as they are and at once', async () => {
    const { service, retried } = serviceCalls(5);
    const handlerError = new Error('the handler failed');
    const call = failing(undefined, handlerError);
    const error = await failureOf(
      service.call('transactional dedup', 'run', call.work, never, (thrown) => thrown === handlerError),
    );
    expect(error).toBe(handlerError);
    expect(call.calls()).toBe(1);
    expect(retried()).toBe(0);
  });

  it('lets ConsumerFailedError and AbandonedWork through untouched', async () => {
    const { service } = serviceCalls(5);
    for (const thrown of [
      new ConsumerFailedError(StoreErrorCode.storeUnavailable, 'already failed'),
      new AbandonedWork('revoked'),
    ]) {
      const call = failing(undefined, thrown);
      expect(await failureOf(service.call('dedup store', 'seen', call.work, never))).toBe(thrown);
      expect(call.calls()).toBe(1);
    }
  });

  it('abandons the work when the signal fired while the call failed', async () => {
    const { service, retried } = serviceCalls(5);
    const controller = new AbortController();
    const work = async () => {
      controller.abort();
      throw unavailable();
    };
    const error = await failureOf(service.call('dedup store', 'mark', work, controller.signal));
    expect(error).toBeInstanceOf(AbandonedWork);
    expect((error as Error).message).toContain('dedup store mark stopped');
    expect(retried()).toBe(0);
  });

  it('abandons the work when the signal fires during the backoff, without waiting it out', async () => {
    const controller = new AbortController();
    const { logger } = recordingLogger();
    const service = new ServiceCalls({
      groupId: 'service-group',
      retries: 5,
      delays: { minDelayMs: 60_000, maxDelayMs: 60_000 },
      logger,
      onRetry: () => setImmediate(() => controller.abort()),
    });
    const call = failing(undefined, unavailable(), unavailable());
    const started = Date.now();
    const error = await failureOf(service.call('version store', 'record', call.work, controller.signal));
    expect(error).toBeInstanceOf(AbandonedWork);
    expect(call.calls()).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('publishes each retry on inlet:consumer:retry', async () => {
    subscribe('inlet:consumer:retry', onRetryMessage);
    const { service } = serviceCalls(3);
    const cause = unavailable();
    const call = failing('ok', cause);
    await service.call('dedup store', 'seen', call.work, never);
    expect(retryMessages).toEqual([
      { groupId: 'service-group', service: 'dedup store', operation: 'seen', attempt: 1, error: cause },
    ]);
  });

  it('with no retries, fails on the first retryable failure', async () => {
    const { service } = serviceCalls(0);
    const call = failing(undefined, unavailable());
    const error = (await failureOf(
      service.call('dedup store', 'seen', call.work, never),
    )) as ConsumerFailedError;
    expect(call.calls()).toBe(1);
    expect(error.message).toContain('after 1 attempt:');
  });
});

describe('toInletError and endsRetries', () => {
  it('keeps Inlet errors and wraps anything else as a retryable one with the cause', () => {
    const inlet = new InletError(StoreErrorCode.storeFailed, 'x');
    expect(toInletError(inlet)).toBe(inlet);
    const plain = new Error('plain');
    const wrapped = toInletError(plain, StoreErrorCode.storeFailed);
    expect(wrapped).toMatchObject({
      code: StoreErrorCode.storeFailed,
      message: 'plain',
      retryable: true,
      cause: plain,
    });
    expect(toInletError('a string').code).toBe(InletErrorCode.handlerFailed);
    expect(toInletError('a string').message).toBe('a string');
  });

  it('ends retries only for a failing consumer or abandoned work', () => {
    expect(endsRetries(new ConsumerFailedError(StoreErrorCode.storeFailed, 'x'))).toBe(true);
    expect(endsRetries(new AbandonedWork('x'))).toBe(true);
    expect(endsRetries(new InletError(StoreErrorCode.storeFailed, 'x'))).toBe(false);
    expect(endsRetries(new Error('x'))).toBe(false);
  });
});
