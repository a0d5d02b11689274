import { createInMemoryBackbone } from '@inlet/backbone';
import { InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { ordersTopic } from './fixtures/orders.fixture';
import {
  expectCaughtUpOnTransactionalInput,
  expectCaughtUpPastLiveAbort,
  writeTransaction,
} from './fixtures/transactional-input.fixture';

describe('consumer of a topic written in transactions, on the in-memory backbone', () => {
  it('catches up past the commit and abort markers and the aborted records, and commits the end', async () => {
    await using transport = createInMemoryBackbone();
    await expectCaughtUpOnTransactionalInput(
      transport,
      {
        topic: 'transactional-orders',
        groupId: 'transactional-orders-group',
        transactionalId: 'transactional-orders-writer',
      },
      5_000,
    );
  });

  it('catches up past an aborted transaction that ends the log while it runs', async () => {
    await using transport = createInMemoryBackbone();
    await expectCaughtUpPastLiveAbort(
      transport,
      { topic: 'live-abort-orders', groupId: 'live-abort-group', transactionalId: 'live-abort-writer' },
      5_000,
    );
  });

  it('commits past the markers only once the records before them are done', async () => {
    await using transport = createInMemoryBackbone();
    const orders = ordersTopic('slow-transactional-orders');
    await transport.admin().createTopics([{ topic: orders.name, partitions: 1 }]);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    await using consumer = createConsumer({
      transport,
      groupId: 'slow-transactional-group',
      topics: [orders],
      commitIntervalMs: 10,
      handle: async (event) => {
        await released;
        handled.push((event.data as { note: string }).note);
      },
    });
    await consumer.start();
    await using producer = transport.producer({ transactionalId: 'slow-transactional-writer' });
    // c1 at 0 and its marker at 1, then a1 aborted at 2 and its marker at 3.
    await writeTransaction(producer, orders.name, ['c1'], 'commit');
    await writeTransaction(producer, orders.name, ['a1'], 'abort');
    await expect(consumer.caughtUp({ timeoutMs: 300 })).rejects.toMatchObject({
      code: InletErrorCode.timeout,
    });
    const admin = transport.admin();
    const [held] = await admin.groupOffsets('slow-transactional-group', orders.name);
    expect(Number(held?.offset)).toBeLessThanOrEqual(0);
    release();
    await consumer.caughtUp({ timeoutMs: 5_000 });
    expect(handled).toEqual(['c1']);
    await consumer.close();
    const [committed] = await admin.groupOffsets('slow-transactional-group', orders.name);
    expect(committed?.offset).toBe('4');
  });
});
