import { describe, expect, it } from 'vitest';
import { InletErrorCode } from '../../errors';
import { ResourceLifecycle } from './resource-lifecycle';

describe('ResourceLifecycle', () => {
  it('connects once, and again after a failed attempt', async () => {
    const lifecycle = new ResourceLifecycle('producer');
    let attempts = 0;
    const open = async () => {
      attempts += 1;
      if (attempts === 1) throw Object.assign(new Error('refused'), { name: 'KafkaJSConnectionError' });
    };
    await expect(lifecycle.connect(open)).rejects.toMatchObject({ code: InletErrorCode.kafkaConnection });
    await Promise.all([lifecycle.connect(open), lifecycle.connect(open)]);
    expect(attempts).toBe(2);
  });

  it('waits for work in flight before shutting down, once, then refuses everything', async () => {
    const lifecycle = new ResourceLifecycle('admin');
    const order: string[] = [];
    let finish: () => void = () => undefined;
    const working = lifecycle.run(
      () =>
        new Promise<void>((resolve) => {
          finish = () => {
            order.push('work done');
            resolve();
          };
        }),
    );
    const closing = lifecycle.close(async () => {
      order.push('shut down');
    });
    expect(
      lifecycle.close(async () => {
        order.push('again');
      }),
    ).toBe(closing);
    finish();
    await Promise.all([working, closing]);
    expect(order).toEqual(['work done', 'shut down']);
    await expect(lifecycle.run(async () => 1)).rejects.toMatchObject({ code: InletErrorCode.closed });
    await expect(lifecycle.connect(async () => undefined)).rejects.toMatchObject({
      code: InletErrorCode.closed,
    });
    expect(() => lifecycle.assertOpen()).toThrow('admin is closed');
  });

  it('classifies what the work throws', async () => {
    const lifecycle = new ResourceLifecycle('consumer');
    const protocolError = Object.assign(new Error('rebalancing'), {
      name: 'KafkaJSProtocolError',
      type: 'REBALANCE_IN_PROGRESS',
    });
    await expect(
      lifecycle.run(async () => {
        throw protocolError;
      }),
    ).rejects.toMatchObject({ code: InletErrorCode.kafkaRebalance, cause: protocolError });
  });
});
