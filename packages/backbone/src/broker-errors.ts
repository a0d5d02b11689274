// The broker's refusals, as the Kafka error a real cluster returns (kafkaErrorType) and the Inlet code
// the kafkajs transport classifies that error into.
import { InletErrorCode, InletKafkaError } from '@inlet/core';

export function unknownTopicError(topic: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaUnknownTopic,
    `topic "${topic}" does not exist`,
    'UNKNOWN_TOPIC_OR_PARTITION',
    { retryable: true },
  );
}

export function unknownPartitionError(topic: string, partition: number, count: number): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaUnknownTopic,
    `partition ${partition} of topic "${topic}" does not exist (it has ${count})`,
    'UNKNOWN_TOPIC_OR_PARTITION',
    { retryable: true },
  );
}

export function invalidTopicError(path: string, problem: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.invalidOption,
    `invalid ${path}: ${problem}`,
    'INVALID_TOPIC_EXCEPTION',
  );
}

export function messageTooLargeError(topic: string, bytes: number, limit: number): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaMessageTooLarge,
    `a record of ${bytes} bytes for topic "${topic}" exceeds its limit of ${limit} bytes`,
    'MESSAGE_TOO_LARGE',
  );
}

export function invalidTimestampError(topic: string, problem: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaInvalidRecord,
    `record for topic "${topic}" rejected: ${problem}`,
    'INVALID_TIMESTAMP',
  );
}

export type FencingReason = 'PRODUCER_FENCED' | 'INVALID_PRODUCER_EPOCH';

export function producerFencedError(transactionalId: string, reason: FencingReason): InletKafkaError {
  const why =
    reason === 'PRODUCER_FENCED'
      ? 'a newer producer with the same transactionalId took over'
      : 'its transaction exceeded transactionTimeoutMs and was aborted by the broker';
  return new InletKafkaError(
    InletErrorCode.kafkaFenced,
    `producer with transactionalId "${transactionalId}" is fenced: ${why}`,
    reason,
  );
}

export function rebalanceInProgressError(groupId: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaRebalance,
    `group "${groupId}" is rebalancing`,
    'REBALANCE_IN_PROGRESS',
    { retryable: true },
  );
}

export function unknownMemberError(groupId: string, memberId: string, reason: string): InletKafkaError {
  const who = memberId === '' ? 'the consumer' : `member "${memberId}"`;
  return new InletKafkaError(
    InletErrorCode.kafkaRebalance,
    `${who} is not in group "${groupId}": ${reason}`,
    'UNKNOWN_MEMBER_ID',
    { retryable: true },
  );
}

export function illegalGenerationError(
  groupId: string,
  generation: number,
  current: number,
): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaRebalance,
    `generation ${generation} of group "${groupId}" is stale (the group is at ${current})`,
    'ILLEGAL_GENERATION',
    { retryable: true },
  );
}

export function nonEmptyGroupError(groupId: string, state: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaProtocol,
    `group "${groupId}" has active members (state ${state}); stop its consumers first`,
    'NON_EMPTY_GROUP',
  );
}

export function groupNotFoundError(groupId: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaProtocol,
    `group "${groupId}" does not exist`,
    'GROUP_ID_NOT_FOUND',
  );
}
