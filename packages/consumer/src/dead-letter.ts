import type { IncomingRecord, InletError, OutgoingRecord } from '@inlet/core';

/** Headers a dead-lettered record carries besides the original ones. */
export const DeadLetterHeader = {
  errorCode: 'inlet-dlq-error-code',
  errorMessage: 'inlet-dlq-error-message',
  attempts: 'inlet-dlq-attempts',
  sourceTopic: 'inlet-dlq-source-topic',
  sourcePartition: 'inlet-dlq-source-partition',
  sourceOffset: 'inlet-dlq-source-offset',
  consumerGroup: 'inlet-dlq-consumer-group',
  failedAt: 'inlet-dlq-failed-at',
  /** Present when tagged fields of the value were redacted: such a copy cannot be redriven as is. */
  redacted: 'inlet-dlq-redacted',
} as const;

const deadLetterHeaderNames = new Set<string>(Object.values(DeadLetterHeader));

export function isDeadLetterHeader(name: string): boolean {
  return deadLetterHeaderNames.has(name);
}

export interface DeadLetterDetails {
  readonly deadLetterTopic: string;
  readonly groupId: string;
  readonly error: InletError;
  readonly attempts: number;
  /** A replacement value (redacted), or undefined to keep the original bytes. */
  readonly redactedValue?: Buffer;
}

/**
 * The dead-letter record for a record that could not be handled: the original key, value and
 * headers, plus why it failed and where it came from.
 */
export function deadLetterRecord(record: IncomingRecord, details: DeadLetterDetails): OutgoingRecord {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(record.headers)) if (value !== undefined) headers[name] = value;
  headers[DeadLetterHeader.errorCode] = details.error.code;
  headers[DeadLetterHeader.errorMessage] = details.error.message.slice(0, 2000);
  headers[DeadLetterHeader.attempts] = String(details.attempts);
  headers[DeadLetterHeader.sourceTopic] = record.topic;
  headers[DeadLetterHeader.sourcePartition] = String(record.partition);
  headers[DeadLetterHeader.sourceOffset] = record.offset;
  headers[DeadLetterHeader.consumerGroup] = details.groupId;
  headers[DeadLetterHeader.failedAt] = new Date().toISOString();
  if (details.redactedValue !== undefined) headers[DeadLetterHeader.redacted] = 'true';
  return {
    topic: details.deadLetterTopic,
    key: record.key,
    value: details.redactedValue ?? record.value,
    headers,
    timestamp: record.timestamp,
  };
}
