import { createInMemoryBackbone } from '@inlet/backbone';
import { describe, it } from 'vitest';
import {
  expectCaughtUpOnTransactionalInput,
  expectCaughtUpPastLiveAbort,
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
});
