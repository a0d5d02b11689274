import { describe, expect, it } from 'vitest';
import { InletError, InletErrorCode } from '../errors';
import { ResourceLifecycle } from './resource-lifecycle';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('ResourceLifecycle', () => {
  it('connects once, and again after a failed attempt', async () => {
    const lifecycle = new ResourceLifecycle('producer');
    let attempts = 0;
    const refused = new Error('refused');
    const open = async () => {
      attempts += 1;
      if (attempts === 1) throw refused;
    };
    await expect(lifecycle.connect(open)).rejects.toBe(refused);
    await Promise.all([lifecycle.connect(open), lifecycle.connect(open)]);
    expect(attempts).toBe(2);
  });

  it('waits for work in flight before shutting down, once, then refuses everything', async () => {
    const lifecycle = new ResourceLifecycle('admin');
    const order: string[] = [];
    const work = deferred();
    const working = lifecycle.run(async () => {
      await work.promise;
      order.push('work done');
    });
    const closing = lifecycle.close(async () => {
      order.push('shut down');
    });
    expect(lifecycle.closed).toBe(true);
    expect(
      lifecycle.close(async () => {
        order.push('again');
      }),
    ).toBe(closing);
    work.resolve();
    await Promise.all([working, closing]);
    expect(order).toEqual(['work done', 'shut down']);
    await expect(lifecycle.run(async () => 1)).rejects.toMatchObject({ code: InletErrorCode.closed });
    await expect(lifecycle.connect(async () => undefined)).rejects.toMatchObject({
      code: InletErrorCode.closed,
    });
    expect(() => lifecycle.assertOpen()).toThrow('admin is closed');
  });

  it('waits for background tasks, also those a call starts while close waits for it', async () => {
    const lifecycle = new ResourceLifecycle('store');
    const order: string[] = [];
    const purge = deferred();
    const call = deferred();
    const calling = lifecycle.run(async () => {
      await call.promise;
      lifecycle.track(purge.promise.then(() => order.push('purged')));
      order.push('call done');
    });
    const closing = lifecycle.close().then(() => order.push('closed'));
    call.resolve();
    await calling;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual(['call done']);
    purge.resolve();
    await closing;
    expect(order).toEqual(['call done', 'purged', 'closed']);
  });

  it('does not let a failed background task fail close', async () => {
    const lifecycle = new ResourceLifecycle('store');
    const failing = Promise.reject(new Error('lost'));
    failing.catch(() => undefined);
    lifecycle.track(failing);
    await expect(lifecycle.close()).resolves.toBeUndefined();
  });

  it('passes what the work, the connection and the shutdown throw through classifyError', async () => {
    const classified = (error: unknown) =>
      new InletError(InletErrorCode.kafkaConnection, 'classified', { cause: error, retryable: true });
    const lifecycle = new ResourceLifecycle('consumer', { classifyError: classified });
    const thrown = new Error('raw');
    await expect(
      lifecycle.run(async () => {
        throw thrown;
      }),
    ).rejects.toMatchObject({ code: InletErrorCode.kafkaConnection, cause: thrown });
    await expect(
      lifecycle.run(() => {
        throw thrown;
      }),
    ).rejects.toMatchObject({ cause: thrown });
    await expect(lifecycle.connect(() => Promise.reject(thrown))).rejects.toMatchObject({ cause: thrown });
    await expect(lifecycle.close(() => Promise.reject(thrown))).rejects.toMatchObject({ cause: thrown });
  });
});
