import { InletErrorCode, InletKafkaError, type TopicPartitionOffset } from '@inlet/core';
import type { Admin, Kafka } from 'kafkajs';

/**
 * Overwrites a group's committed offsets by joining the (empty) group for a moment with a
 * consumer that fetches nothing, committing, and leaving. kafkajs's own admin.setOffsets does
 * the same but always waits out a 5 s fetch first.
 */
export async function setGroupOffsets(
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  offsets: readonly TopicPartitionOffset[],
): Promise<void> {
  if (offsets.length === 0) return;
  const { groups } = await admin.describeGroups([groupId]);
  const state = groups.find((group) => group.groupId === groupId)?.state ?? 'Dead';
  if (state !== 'Empty' && state !== 'Dead') {
    throw new InletKafkaError(
      InletErrorCode.kafkaProtocol,
      `group "${groupId}" has active members (state ${state}); its offsets can only be set while it is empty`,
      'NON_EMPTY_GROUP',
    );
  }
  const topics = [...new Set(offsets.map((entry) => entry.topic))];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  let crash: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crash ??= payload.error;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    if (crash !== undefined) throw crash;
    consumer.pause(topics.map((topic) => ({ topic })));
    await consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
    );
  } finally {
    await consumer.disconnect();
  }
}
