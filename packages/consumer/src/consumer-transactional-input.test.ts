import { createInMemoryBackbone } from '@inlet/backbone';
import { describe, it } from 'vitest';
import { expectCaughtUpOnTransactionalInput } from './fixtures/transactional-input.fixture';

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
});
