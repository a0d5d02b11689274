import type { Batch, IHeaders, KafkaMessage } from 'kafkajs';
import type { IncomingBatch, IncomingRecord } from '../transport';

function headerBytes(value: Buffer | string | undefined): Buffer | undefined {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

// A record may repeat a header name; kafkajs then gives an array. The port keeps one value per
// name, and like the Java client's lastHeader() that is the last one.
export function toIncomingHeaders(headers: IHeaders | undefined): Record<string, Buffer | undefined> {
  const incoming: Record<string, Buffer | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    incoming[name] = headerBytes(Array.isArray(value) ? value[value.length - 1] : value);
  }
  return incoming;
}

export function toIncomingRecord(topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: toIncomingHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

export function toIncomingBatch(batch: Batch): IncomingBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    records: batch.messages.map((message) => toIncomingRecord(batch.topic, batch.partition, message)),
  };
}
