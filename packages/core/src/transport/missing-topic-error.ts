import { InletErrorCode, InletKafkaError } from '../errors';

/**
 * A topic that does not exist, on either transport: not retryable, since nothing Inlet does by
 * waiting creates it, and a send that waited for it would only hold up the sends behind it.
 */
export function missingTopicError(topic: string, cause?: unknown): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaUnknownTopic,
    `topic "${topic}" does not exist; create it first (ensureTopics from @inlet/core) or make the transport with autoCreateTopics: true`,
    'UNKNOWN_TOPIC_OR_PARTITION',
    cause === undefined ? {} : { cause },
  );
}
