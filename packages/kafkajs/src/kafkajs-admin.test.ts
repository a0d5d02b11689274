import { InletErrorCode } from '@inlet/core';
import { type Kafka, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
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

describe('kafkajs admin: creating topics', () => {
  // A fresh broker briefly answers metadata for a topic it just created with
  // UNKNOWN_TOPIC_OR_PARTITION, then with partitions whose leaders are not elected yet.
  function freshBroker() {
    let lookups = 0;
    const asked: unknown[] = [];
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      async createTopics(request: { waitForLeaders?: boolean }) {
        asked.push(request);
        // kafkajs's own wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION.
        if (request.waitForLeaders !== false) {
          throw new KafkaJSProtocolError({
            type: 'UNKNOWN_TOPIC_OR_PARTITION',
            code: 3,
            retriable: true,
            message: 'This server does not host this topic-partition',
          } as never);
        }
        return true;
      },
      async fetchTopicMetadata() {
        lookups += 1;
        if (lookups === 1) {
          throw new KafkaJSProtocolError({
            type: 'UNKNOWN_TOPIC_OR_PARTITION',
            code: 3,
            retriable: true,
            message: 'This server does not host this topic-partition',
          } as never);
        }
        const leader = lookups >= 3 ? 1 : -1;
        return {
          topics: [
            {
              name: 'orders',
              partitions: [
                { partitionId: 0, leader },
                { partitionId: 1, leader },
              ],
            },
          ],
        };
      },
    };
    const kafka = { admin: () => admin } as unknown as Kafka;
    return { admin: createKafkaJsAdmin(kafka, retry, () => kafka), lookups: () => lookups };
  }

  it('waits until every partition of a new topic has a leader, through the moment the broker does not know it yet', async () => {
    const broker = freshBroker();
    await expect(broker.admin.createTopics([{ topic: 'orders', partitions: 2 }])).resolves.toEqual([
      'orders',
    ]);
    expect(broker.lookups()).toBe(3);
  });
});

describe('kafkajs admin: its lifecycle', () => {
  // The admin's connect-once and close-once bookkeeping is core's ResourceLifecycle; what kafkajs
  // throws through it must come out classified.
  it('classifies a failed connection, connects again on the next call, and refuses calls after close', async () => {
    let attempts = 0;
    const admin = {
      async connect() {
        attempts += 1;
        if (attempts === 1) throw Object.assign(new Error('refused'), { name: 'KafkaJSConnectionError' });
      },
      disconnect: async () => undefined,
      listTopics: async () => ['orders'],
    };
    const kafka = { admin: () => admin } as unknown as Kafka;
    const transportAdmin = createKafkaJsAdmin(kafka, retry, () => kafka);
    await expect(transportAdmin.listTopics()).rejects.toMatchObject({
      code: InletErrorCode.kafkaConnection,
      retryable: true,
    });
    await expect(transportAdmin.listTopics()).resolves.toEqual(['orders']);
    expect(attempts).toBe(2);
    await transportAdmin.close();
    await expect(transportAdmin.listTopics()).rejects.toMatchObject({ code: InletErrorCode.closed });
  });
});
