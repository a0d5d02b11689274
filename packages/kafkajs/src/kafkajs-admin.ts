import {
  type GroupMemberDescription,
  InletError,
  InletErrorCode,
  InletKafkaError,
  type PartitionOffsets,
  ResourceLifecycle,
  type TopicPartition,
  type TopicSpec,
  type TransportAdmin,
} from '@inlet/core';
import { type Admin, AssignerProtocol, type Kafka, type MemberDescription } from 'kafkajs';
import { toInletError } from './classify-kafkajs-error';
import type { ConnectionRetryOptions } from './connection-options';
import { retryMetadata } from './retry-metadata';
import { setGroupOffsets } from './set-group-offsets';
import { fromMemberAssignment } from './topic-partitions';

const byPartition = (a: { partition: number }, b: { partition: number }) => a.partition - b.partition;

function checkTopicSpec(spec: TopicSpec, index: number): void {
  if (typeof spec?.topic !== 'string' || spec.topic === '') {
    throw new InletError(InletErrorCode.invalidOption, `topic ${index}: name must be a non-empty string`);
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `topic "${spec.topic}": partitions must be a positive integer`,
    );
  }
}

function memberAssignment(member: MemberDescription): TopicPartition[] {
  if (member.memberAssignment.length === 0) return [];
  const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
  return decoded === null ? [] : fromMemberAssignment(decoded.assignment);
}

// kafkajs's own waitForLeaders gives up when the broker, a moment after creating the topic,
// answers its metadata request with UNKNOWN_TOPIC_OR_PARTITION; this waits that out too.
async function waitForLeaders(
  admin: Admin,
  spec: TopicSpec,
  retry: Required<ConnectionRetryOptions>,
): Promise<void> {
  await retryMetadata(async () => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [spec.topic] });
    const partitions = topics.find((metadata) => metadata.name === spec.topic)?.partitions ?? [];
    if (partitions.length < spec.partitions || partitions.some((partition) => partition.leader < 0)) {
      throw new InletKafkaError(
        InletErrorCode.kafkaNotLeader,
        `topic "${spec.topic}" has no leader for every partition yet`,
        'LEADER_NOT_AVAILABLE',
        { retryable: true },
      );
    }
  }, retry);
}

async function createTopic(
  admin: Admin,
  spec: TopicSpec,
  retry: Required<ConnectionRetryOptions>,
): Promise<boolean> {
  const created = await admin.createTopics({
    waitForLeaders: false,
    topics: [
      {
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor ?? -1,
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  if (created) await waitForLeaders(admin, spec, retry);
  return created;
}

/**
 * A {@link TransportAdmin} on a kafkajs admin client. `groupClient` makes the client for the
 * short-lived group member that `setGroupOffsets` needs.
 */
export function createKafkaJsAdmin(
  kafka: Kafka,
  retry: Required<ConnectionRetryOptions>,
  groupClient: () => Kafka,
): TransportAdmin {
  const admin = kafka.admin();
  const lifecycle = new ResourceLifecycle('admin', { classifyError: toInletError });
  const connect = () => lifecycle.connect(() => admin.connect());
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    lifecycle.assertOpen();
    await connect();
    return lifecycle.run(work);
  };

  async function topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map(({ partition, low, high }) => ({ partition, low, high })).sort(byPartition);
  }

  return {
    connect,
    createTopics: async (topics) => {
      topics.forEach(checkTopicSpec);
      return call(async () => {
        // One request per topic: kafkajs answers a batch with a single "all existed" flag, and
        // the port promises the names of exactly the topics this call created.
        const created = await Promise.all(topics.map((spec) => createTopic(admin, spec, retry)));
        return topics.filter((_, index) => created[index]).map((spec) => spec.topic);
      });
    },
    deleteTopics: (topics) =>
      call(async () => {
        if (topics.length > 0) await admin.deleteTopics({ topics: [...topics] });
      }),
    listTopics: () => call(() => admin.listTopics()),
    partitionCount: (topic) =>
      call(() =>
        retryMetadata(async () => {
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          return topics.find((metadata) => metadata.name === topic)?.partitions.length ?? 0;
        }, retry),
      ),
    // Offsets are read from each partition's leader: right after a topic is created or a broker
    // restarts, a leader may still be moving, which retryMetadata waits out.
    topicOffsets: (topic) => call(() => retryMetadata(() => topicOffsets(topic), retry)),
    // kafkajs asks ListOffsets for the first offset whose timestamp is at or after the given
    // one, and substitutes the high watermark where the broker has none (-1).
    offsetsForTimestamp: async (topic, timestamp) => {
      // ListOffsets reads -1 and -2 as "latest" and "earliest", not as times.
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
        throw new InletError(
          InletErrorCode.invalidOption,
          `timestamp ${timestamp} is not ms since the epoch`,
        );
      }
      return call(async () => {
        const offsets = await retryMetadata(
          () => admin.fetchTopicOffsetsByTimestamp(topic, timestamp),
          retry,
        );
        return offsets.sort(byPartition).map(({ partition, offset }) => ({ topic, partition, offset }));
      });
    },
    // After an OFFSET_OUT_OF_RANGE fetch, kafkajs commits its reset sentinel (-2 earliest, -1
    // latest) for the group; any negative offset means "nothing usable committed", reported as -1.
    groupOffsets: (groupId, topic) =>
      call(async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (committed?.partitions ?? [])
          .map(({ partition, offset }) => ({
            topic,
            partition,
            offset: offset.startsWith('-') ? '-1' : offset,
          }))
          .sort(byPartition);
      }),
    setGroupOffsets: (groupId, offsets) =>
      call(() => setGroupOffsets(groupClient(), admin, groupId, offsets)),
    describeGroup: (groupId) =>
      call(async () => {
        const { groups } = await admin.describeGroups([groupId]);
        const group = groups.find((candidate) => candidate.groupId === groupId);
        const members: GroupMemberDescription[] = (group?.members ?? []).map((member) => ({
          memberId: member.memberId,
          clientId: member.clientId,
          assignment: memberAssignment(member),
        }));
        return { groupId, state: group?.state ?? 'Dead', members };
      }),
    deleteGroup: (groupId) =>
      call(async () => {
        await admin.deleteGroups([groupId]);
      }),
    close: () => lifecycle.close(() => admin.disconnect()),
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
