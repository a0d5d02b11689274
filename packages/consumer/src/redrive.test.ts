import { createInMemoryBackbone } from '@inlet/backbone';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader } from './dead-letter';
import { redriveDeadLetters } from './redrive';

describe('redriveDeadLetters', () => {
  it('finishes at the end of a dead-letter topic written in transactions (past its markers)', async () => {
    await using transport = createInMemoryBackbone();
    const deadLetterTopic = 'orders.dlq';
    await transport.admin().createTopics([{ topic: deadLetterTopic, partitions: 1 }]);
    const producer = transport.producer({ transactionalId: 'dlq-writer' });
    const transaction = await producer.transaction();
    await transaction.send(
      ['a', 'b'].map((id) => ({
        topic: deadLetterTopic,
        key: Buffer.from(id),
        value: Buffer.from(id),
        headers: { [DeadLetterHeader.sourceTopic]: 'orders', [DeadLetterHeader.errorCode]: 'INLET_TEST' },
      })),
    );
    await transaction.commit();
    await producer.close();
    // The letters at 0 and 1, the commit marker at 2: the topic ends past the last letter.
    expect((await transport.admin().topicOffsets(deadLetterTopic))[0]?.high).toBe('3');

    const result = await redriveDeadLetters({
      transport,
      deadLetterTopic,
      dryRun: true,
      signal: AbortSignal.timeout(5_000),
    });
    expect(result).toMatchObject({ seen: 2, redriven: 2 });
  });
});
