import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consumeSequence,
  expectedEffects,
  produceSequence,
  sequenceArbitrary,
} from './fixtures/event-sequences.test-support';
import { ordersTopic } from './fixtures/orders.fixture';

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'consumer-modes' });
});
afterAll(async () => {
  await transport.close();
});

describe('handle and handleBatch on a real broker', () => {
  it('come out the same, and as the documented checks say, for random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArbitrary, async (steps) => {
        const orders = ordersTopic(uniqueName('modes'));
        await transport.admin().createTopics([{ topic: orders.name, partitions: 1 }]);
        const sent = await produceSequence(transport, orders, steps);
        const expected = expectedEffects(sent);
        expect(await consumeSequence(transport, orders, 'handle', uniqueName('modes-one'))).toEqual(expected);
        expect(await consumeSequence(transport, orders, 'handleBatch', uniqueName('modes-batch'))).toEqual(
          expected,
        );
        await transport
          .admin()
          .deleteTopics([orders.name, `${orders.name}.dlq`])
          .catch(() => undefined);
      }),
      { numRuns: 6 },
    );
  }, 240_000);
});
