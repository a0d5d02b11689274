import {
  forEachOutgoingHeader,
  type OutgoingHeaders,
  type OutgoingRecord,
  partitionForKey,
  type RecordAck,
} from '@inlet/core';
import { invalidTimestampError, messageTooLargeError, unknownPartitionError } from './broker-errors';
import type { NullKeyPartitioner } from './null-key-partitioner';
import { invalidOption } from './option-checks';
import type { NewRecord, PartitionLog, TransactionMark } from './partition-log';
import { noHeaders, type StoredHeaders } from './record-headers';
import type { Topic, TopicRegistry } from './topic-registry';

export interface AppendContext {
  readonly producerId: number;
  readonly partitioner: NullKeyPartitioner;
  /** Set for a transactional send: the partitions written are recorded on it. */
  readonly transaction?: TransactionMark & { readonly partitions: Set<PartitionLog> };
}

interface PlannedRecord {
  readonly log: PartitionLog;
  readonly record: NewRecord;
}

/**
 * Appends one send's records and acknowledges each, in input order. Every record is checked before
 * any is appended, so a send that fails leaves the logs untouched.
 */
export function appendRecords(
  topics: TopicRegistry,
  records: readonly OutgoingRecord[],
  context: AppendContext,
): RecordAck[] {
  if (!Array.isArray(records)) throw invalidOption('records', 'expected an array of records');
  const now = Date.now();
  const planned = records.map((record, index) => planRecord(topics, record, index, context, now));
  return planned.map(({ log, record }) => {
    context.transaction?.partitions.add(log);
    const offset = log.append(record, context.producerId, context.transaction);
    return { topic: log.topic, partition: log.partition, offset: String(offset) };
  });
}

function planRecord(
  topics: TopicRegistry,
  outgoing: OutgoingRecord,
  index: number,
  context: AppendContext,
  now: number,
): PlannedRecord {
  const path = `records[${index}]`;
  if (typeof outgoing !== 'object' || outgoing === null) throw invalidOption(path, 'expected a record');
  const topic = topics.obtain(outgoing.topic, `${path}.topic`);
  // Copies: the caller may reuse its buffers once the send resolves, as with a real broker.
  const key = copyBytes(outgoing.key, `${path}.key`);
  const value = copyBytes(outgoing.value, `${path}.value`);
  const headers = copyHeaders(outgoing.headers, index);
  const bytes = (key?.length ?? 0) + (value?.length ?? 0) + headers.bytes;
  if (bytes > topic.settings.maxRecordBytes) {
    throw messageTooLargeError(topic.name, bytes, topic.settings.maxRecordBytes);
  }
  const timestamp = checkTimestamp(topic, outgoing.timestamp ?? now, now);
  const partition = choosePartition(topic, outgoing.partition, key, context.partitioner, path);
  const log = topic.partitions[partition] as PartitionLog;
  return { log, record: { timestamp, key, value, headers: headers.stored, bytes } };
}

function choosePartition(
  topic: Topic,
  explicit: number | undefined,
  key: Buffer | null,
  partitioner: NullKeyPartitioner,
  path: string,
): number {
  const count = topic.partitions.length;
  if (explicit !== undefined) {
    if (typeof explicit !== 'number' || !Number.isInteger(explicit) || explicit < 0) {
      throw invalidOption(`${path}.partition`, `expected a partition number, got ${String(explicit)}`);
    }
    if (explicit >= count) throw unknownPartitionError(topic.name, explicit, count);
    return explicit;
  }
  return key === null ? partitioner.partition(topic.name, count) : partitionForKey(key, count);
}

function checkTimestamp(topic: Topic, timestamp: number, now: number): number {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalidTimestampError(topic.name, `timestamp ${String(timestamp)} is not a non-negative integer`);
  }
  const ahead = timestamp - now;
  if (ahead > topic.settings.maxTimestampAheadMs) {
    throw invalidTimestampError(
      topic.name,
      `timestamp ${timestamp} is ${ahead} ms ahead of the broker clock; the limit is ${topic.settings.maxTimestampAheadMs} ms`,
    );
  }
  return timestamp;
}

function copyBytes(bytes: Buffer | null, path: string): Buffer | null {
  if (bytes === null) return null;
  if (!(bytes instanceof Uint8Array)) throw invalidOption(path, 'expected a Buffer or null');
  return Buffer.from(bytes);
}

// Checked by the same rules as the kafkajs transport, so what one refuses the other does too.
function copyHeaders(
  headers: OutgoingHeaders | undefined,
  index: number,
): { readonly stored: StoredHeaders; readonly bytes: number } {
  if (headers === undefined) return { stored: noHeaders, bytes: 0 };
  const stored: { name: string; value: Buffer }[] = [];
  let bytes = 0;
  forEachOutgoingHeader(headers, index, (name, value) => {
    const buffer = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    stored.push({ name, value: buffer });
    bytes += Buffer.byteLength(name, 'utf8') + buffer.length;
  });
  return { stored: stored.length === 0 ? noHeaders : stored, bytes };
}
