import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { describe, it } from 'vitest';
import {
  expectCaughtUpOnTransactionalInput,
  expectCaughtUpPastLiveAbort,
} from './fixtures/transactional-input.fixture';

const { kafkaBrokers } = testEnvironment();

describe('consumer of a topic written in transactions, on a real broker', () => {
  it('catches up past the commit and abort markers and the aborted records, and commits the end', async () => {
    await using transport = createKafkaJsTransport({
      brokers: kafkaBrokers,
      clientId: 'transactional-input',
    });
    await expectCaughtUpOnTransactionalInput(
      transport,
      {
        topic: uniqueName('transactional-orders'),
        groupId: uniqueName('transactional-orders-group'),
        transactionalId: uniqueName('transactional-orders-writer'),
      },
      15_000,
    );
  }, 60_000);

  it('catches up past an aborted transaction that ends the log while it runs', async () => {
    await using transport = createKafkaJsTransport({
      brokers: kafkaBrokers,
      clientId: 'transactional-input',
    });
    await expectCaughtUpPastLiveAbort(
      transport,
      {
        topic: uniqueName('live-abort-orders'),
        groupId: uniqueName('live-abort-group'),
        transactionalId: uniqueName('live-abort-writer'),
      },
      15_000,
    );
  }, 60_000);
});
