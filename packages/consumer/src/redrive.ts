import {
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type KafkaTransport,
  type OutgoingRecord,
} from '@inlet/core';
import { DeadLetterHeader, isDeadLetterHeader } from './dead-letter';

/** One dead-lettered record, as the redrive filter sees it. */
export interface DeadLetter {
  readonly record: IncomingRecord;
  readonly sourceTopic: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly redacted: boolean;
  /** The letter's value was cut to fit (`inlet-dlq-value-truncated`): it is not the original. */
  readonly truncated: boolean;
}

export interface RedriveOptions {
  readonly transport: KafkaTransport;
  readonly deadLetterTopic: string;
  /** Which dead letters to republish. Default: all that are not redacted. */
  readonly filter?: (deadLetter: DeadLetter) => boolean;
  /** Where to republish. Default: the topic each came from. */
  readonly to?: (deadLetter: DeadLetter) => string;
  /** Report what would be redriven without sending. */
  readonly dryRun?: boolean;
  /** Called after each dead letter is considered, for progress. */
  readonly onProgress?: (progress: {
    readonly seen: number;
    readonly redriven: number;
    readonly total: number;
  }) => void;
  readonly signal?: AbortSignal;
}

export interface RedriveResult {
  readonly seen: number;
  readonly redriven: number;
  readonly skipped: number;
  /** Redacted dead letters matched by the filter but refused: their values are not the originals. */
  readonly refusedRedacted: number;
  /** Truncated dead letters matched by the filter but refused, likewise. */
  readonly refusedTruncated: number;
}

function header(record: IncomingRecord, name: string): string {
  return record.headers[name]?.toString('utf8') ?? '';
}

function asDeadLetter(record: IncomingRecord): DeadLetter {
  return {
    record,
    sourceTopic: header(record, DeadLetterHeader.sourceTopic),
    errorCode: header(record, DeadLetterHeader.errorCode),
    errorMessage: header(record, DeadLetterHeader.errorMessage),
    redacted: header(record, DeadLetterHeader.redacted) === 'true',
    truncated: record.headers[DeadLetterHeader.valueTruncated] !== undefined,
  };
}

/** The letter's headers without Inlet's dead-letter ones, repeated names kept in order. */
function originalHeaders(record: IncomingRecord): Record<string, Buffer[]> {
  const headers: Record<string, Buffer[]> = Object.create(null);
  for (const { name, value } of record.headerList) {
    if (isDeadLetterHeader(name)) continue;
    const values = headers[name];
    // A header that had no value was written empty into the letter (kafkajs cannot write null).
    if (values === undefined) headers[name] = [value ?? Buffer.alloc(0)];
    else values.push(value ?? Buffer.alloc(0));
  }
  return headers;
}

/**
 * Republishes chosen dead-lettered records to their source topic (or elsewhere) with their
 * original key, value and headers, once the cause is fixed. Reads the dead-letter topic from the
 * start to its current end (a snapshot: letters arriving meanwhile are left for next time).
 * Consumers deduplicate by event id, so redriving a letter twice does no harm.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const admin = options.transport.admin();
  const ends = await admin.topicOffsets(options.deadLetterTopic);
  const total = ends.reduce((sum, { low, high }) => sum + (Number(high) - Number(low)), 0);
  const remaining = new Map(
    ends
      .filter(({ low, high }) => Number(high) > Number(low))
      .map(({ partition, high }) => [partition, Number(high)]),
  );
  const result = { seen: 0, redriven: 0, skipped: 0, refusedRedacted: 0, refusedTruncated: 0 };
  if (remaining.size === 0) return result;
  const producer = options.dryRun ? undefined : options.transport.producer({ idempotent: true });
  const consumer = options.transport.consumer({
    groupId: `inlet-redrive-${options.deadLetterTopic}-${Date.now()}`,
    autoOffsetReset: 'earliest',
    isolation: 'read_committed',
  });
  let failure: unknown;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onAbort = () => {
    failure = new InletError(InletErrorCode.aborted, 'redrive was aborted', {
      cause: options.signal?.reason,
    });
    finish();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await consumer.subscribe([options.deadLetterTopic]);
    await consumer.run({
      onBatch: async (batch) => {
        const end = remaining.get(batch.partition);
        if (end === undefined) return;
        const outgoing: OutgoingRecord[] = [];
        for (const record of batch.records) {
          if (Number(record.offset) >= end) break;
          result.seen += 1;
          const letter = asDeadLetter(record);
          const wanted = options.filter === undefined ? true : options.filter(letter);
          if (!wanted) result.skipped += 1;
          else if (letter.redacted) result.refusedRedacted += 1;
          else if (letter.truncated) result.refusedTruncated += 1;
          else {
            outgoing.push({
              topic: options.to?.(letter) ?? letter.sourceTopic,
              key: record.key,
              value: record.value,
              headers: originalHeaders(record),
              timestamp: record.timestamp,
            });
          }
          options.onProgress?.({ seen: result.seen, redriven: result.redriven + outgoing.length, total });
        }
        if (producer !== undefined && outgoing.length > 0) await producer.send(outgoing);
        result.redriven += outgoing.length;
        // Where the fetch ended, not one past its last record: on a topic written in transactions
        // the end is past a marker.
        if (Number(batch.nextOffset) >= end) remaining.delete(batch.partition);
        if (remaining.size === 0) finish();
      },
      onError: (error, fatal) => {
        if (fatal) {
          failure = error;
          finish();
        }
      },
    });
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.close();
    await producer?.close();
  }
  if (failure !== undefined) throw failure;
  return result;
}
