import {
  type HeaderViews,
  headerViews,
  type IncomingBatch,
  type IncomingRecord,
  type RecordHeader,
} from '@inlet/core';
import type { Batch, IHeaders, KafkaMessage } from 'kafkajs';

// kafkajs decodes a header with no value as null; its types also allow strings and undefined,
// which its decoder never gives. A name that occurs more than once comes as an array.
function headerValue(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export function toIncomingHeaders(headers: IHeaders | undefined): HeaderViews {
  const list: RecordHeader[] = [];
  if (headers !== undefined) {
    for (const name of Object.keys(headers)) {
      const value = headers[name] as Buffer | string | null | undefined | (Buffer | string | null)[];
      if (Array.isArray(value)) {
        for (const item of value) {
          // kafkajs collects a header named __proto__ after reading obj.__proto__, so its array
          // starts with Object.prototype: not a header.
          if (item === Object.prototype) continue;
          list.push({ name, value: headerValue(item) });
        }
      } else {
        list.push({ name, value: headerValue(value) });
      }
    }
  }
  return headerViews(list);
}

export function toIncomingRecord(topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  const { headers, headerList } = toIncomingHeaders(message.headers);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    headerList,
    timestamp: Number(message.timestamp),
  };
}

/**
 * `nextOffset` is one past kafkajs's `lastOffset()`: the last offset the fetch returned before it
 * dropped control records and aborted records, which kafkajs moves its fetch position past once
 * the batch's last record is resolved.
 */
export function toIncomingBatch(batch: Batch): IncomingBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    nextOffset: offsetAfter(batch.lastOffset()),
    records: batch.messages.map((message) => toIncomingRecord(batch.topic, batch.partition, message)),
  };
}

/** A batch kafkajs fetched and filtered down to nothing, as its batch events describe it. */
export interface FilteredBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  /** The last offset of the fetched range (a marker or an aborted record). */
  readonly lastOffset: string;
}

/** The batch with no records that tells the owner a fetch moved past markers and aborted records. */
export function toEmptyIncomingBatch(batch: FilteredBatch): IncomingBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    nextOffset: offsetAfter(batch.lastOffset),
    records: [],
  };
}

function offsetAfter(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
