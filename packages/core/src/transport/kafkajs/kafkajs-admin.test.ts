import { type Kafka, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { InletErrorCode } from '../../errors';
import { createKafkaJsAdmin } from './kafkajs-admin';

const retry = { retries: 5, initialRetryTimeMs: 1, maxRetryTimeMs: 5 };
const notLeader = () =>
  new KafkaJSProtocolError({
    type: 'NOT_LEADER_FOR_PARTITION',
    code: 6,
    retriable: true,
    message: 'not the leader',
  } as never);

// A stand-in admin whose offset lookups fail with NOT_LEADER_FOR_PARTITION a set number of
// times, as a real broker answers while a new topic's leaders are still being elected.
function adminFailing(times: number) {
  let failures = 0;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    async fetchTopicOffsets() {
      if (failures++ < times) throw notLeader();
      return [{ partition: 0, offset: '3', low: '0', high: '3' }];
    },
    async fetchTopicOffsetsByTimestamp() {
      if (failures++ < times) throw notLeader();
      return [{ partition: 0, offset: '1' }];
    },
  };
  const kafka = { admin: () => admin } as unknown as Kafka;
  return createKafkaJsAdmin(kafka, retry, () => kafka);
}

describe('kafkajs admin: offsets while leaders move', () => {
  it('reads topic offsets once the partition has a leader again', async () => {
    await expect(adminFailing(2).topicOffsets('orders')).resolves.toEqual([
      { partition: 0, low: '0', high: '3' },
    ]);
  });

  it('reads offsets by timestamp once the partition has a leader again', async () => {
    await expect(adminFailing(2).offsetsForTimestamp('orders', 1_000)).resolves.toEqual([
      { topic: 'orders', partition: 0, offset: '1' },
    ]);
  });

  it('gives up with a typed, retryable error when the leader does not come back', async () => {
    await expect(adminFailing(100).topicOffsets('orders')).rejects.toMatchObject({
      code: InletErrorCode.kafkaNotLeader,
      retryable: true,
    });
  });
});
