import { InletError, InletErrorCode } from '../errors';
import type { TopicDefinition } from '../events/define-topic';
import type { KafkaTransport, TopicSpec, TransportAdmin } from './transport';

/** What {@link ensureTopics} did: the topics it created, and those that were there already. */
export interface EnsureTopicsResult {
  readonly created: string[];
  readonly existing: string[];
}

function isTransport(target: KafkaTransport | TransportAdmin): target is KafkaTransport {
  return typeof (target as Partial<KafkaTransport>).admin === 'function';
}

function isTopicDefinition(value: unknown): value is TopicDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TopicDefinition).name === 'string' &&
    typeof (value as TopicDefinition).settings === 'object'
  );
}

/** The spec a topic is created with: its settings, in Kafka's config names. */
export function topicSpecOf(topic: TopicDefinition): TopicSpec {
  const { partitions, replicationFactor, retentionMs, cleanupPolicy, config } = topic.settings;
  const configs: Record<string, string> = { ...config };
  if (retentionMs !== undefined) configs['retention.ms'] = String(retentionMs);
  if (cleanupPolicy !== undefined) configs['cleanup.policy'] = cleanupPolicy;
  return {
    topic: topic.name,
    partitions: partitions ?? 1,
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
    config: configs,
  };
}

/**
 * Creates the topics that do not exist yet, as their definitions say (partitions, replication,
 * retention, compaction, other configs), and waits until they can be written to. Topics that
 * exist are left as they are: neither their partitions nor their configs are changed. Safe to
 * call on every start, and from several processes at once.
 *
 * Takes a transport (an admin client is opened and closed for the call) or an admin client.
 */
export async function ensureTopics(
  target: KafkaTransport | TransportAdmin,
  topics: readonly TopicDefinition[],
): Promise<EnsureTopicsResult> {
  if (!Array.isArray(topics)) {
    throw new InletError(
      InletErrorCode.invalidOption,
      'ensureTopics() takes an array of defineTopic() topics',
    );
  }
  topics.forEach((topic, index) => {
    if (!isTopicDefinition(topic)) {
      throw new InletError(
        InletErrorCode.invalidOption,
        `ensureTopics(): topic ${index} is not a topic made with defineTopic()`,
      );
    }
  });
  const admin = isTransport(target) ? target.admin() : target;
  try {
    const specs = topics.map(topicSpecOf);
    const created = specs.length === 0 ? [] : await admin.createTopics(specs);
    const wasCreated = new Set(created);
    return {
      created,
      existing: specs.map((spec) => spec.topic).filter((name) => !wasCreated.has(name)),
    };
  } finally {
    if (admin !== target) await admin.close();
  }
}
