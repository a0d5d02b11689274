import { headerViews, type IncomingBatch, type IncomingRecord, type RecordHeader } from '@inlet/core';
import type { LogEntry, LogRead, PartitionLog } from './partition-log';
import type { StoredHeaders } from './record-headers';

/**
 * The batch a handler gets. Its bytes are copied into one buffer per batch, so a handler that
 * writes into a key or value changes its own copy, never the log or what other consumers get;
 * one allocation keeps the copy cheap.
 */
export function toIncomingBatch(log: PartitionLog, read: LogRead, highWatermark: number): IncomingBatch {
  const { entries } = read;
  const slab = Buffer.allocUnsafe(payloadBytes(entries));
  let cursor = 0;
  const copy = (source: Buffer): Buffer => {
    source.copy(slab, cursor);
    const view = slab.subarray(cursor, cursor + source.length);
    cursor += source.length;
    return view;
  };
  const records = entries.map(
    (entry): IncomingRecord =>
      Object.freeze({
        topic: log.topic,
        partition: log.partition,
        offset: String(entry.offset),
        key: entry.key === null ? null : copy(entry.key),
        value: entry.value === null ? null : copy(entry.value),
        ...headerViews(copyHeaders(entry.headers, copy)),
        timestamp: entry.timestamp,
      }),
  );
  return Object.freeze({
    topic: log.topic,
    partition: log.partition,
    records: Object.freeze(records),
    highWatermark: String(highWatermark),
    nextOffset: String(read.nextOffset),
  });
}

function payloadBytes(entries: readonly LogEntry[]): number {
  let bytes = 0;
  for (const entry of entries) {
    bytes += (entry.key?.length ?? 0) + (entry.value?.length ?? 0);
    for (const header of entry.headers) bytes += header.value.length;
  }
  return bytes;
}

function copyHeaders(headers: StoredHeaders, copy: (source: Buffer) => Buffer): RecordHeader[] {
  return headers.map(({ name, value }) => ({ name, value: copy(value) }));
}
