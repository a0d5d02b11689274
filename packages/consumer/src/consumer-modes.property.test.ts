import { createInMemoryBackbone } from '@inlet/backbone';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consumeSequence,
  expectedEffects,
  produceSequence,
  sequenceArbitrary,
} from './fixtures/event-sequences.test-support';
import { ordersTopic } from './fixtures/orders.fixture';

let counter = 0;

describe('handle and handleBatch on the in-memory backbone', () => {
  it('come out the same, and as the documented checks say, for any sequence', async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArbitrary, async (steps) => {
        const transport = createInMemoryBackbone({ autoCreateTopics: true });
        try {
          const orders = ordersTopic(`modes-${++counter}`);
          const sent = await produceSequence(transport, orders, steps);
          const expected = expectedEffects(sent);
          const one = await consumeSequence(transport, orders, 'handle', `one-${counter}`);
          const batch = await consumeSequence(transport, orders, 'handleBatch', `batch-${counter}`);
          expect(one).toEqual(expected);
          expect(batch).toEqual(expected);
        } finally {
          await transport.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
