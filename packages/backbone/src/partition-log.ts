import type { IsolationLevel } from '@inlet/core';
import { noHeaders, type StoredHeaders } from './record-headers';

export type TransactionStatus = 'open' | 'committed' | 'aborted';

/** What the log needs to know of the transaction a record belongs to. */
export interface TransactionMark {
  readonly status: TransactionStatus;
}

export type ControlMarker = 'commit' | 'abort';

export interface LogEntry {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: StoredHeaders;
  /** Key, value and header bytes: what size limits and fetch limits count. */
  readonly bytes: number;
  readonly producerId: number;
  readonly transaction: TransactionMark | undefined;
  /** Set on the commit or abort marker that ends a transaction; markers are never delivered. */
  readonly control: ControlMarker | undefined;
}

export interface NewRecord {
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: StoredHeaders;
  readonly bytes: number;
}

export interface LogRead {
  /** Deliverable records in offset order; empty when there is nothing to deliver yet. */
  readonly entries: readonly LogEntry[];
  /** Where the next read starts: past every entry delivered or skipped (markers, aborted records). */
  readonly nextOffset: number;
}

/** One partition: an append-only log of records and transaction markers. */
export class PartitionLog {
  /** Nothing is ever truncated in the model, but offsets are still computed from here. */
  readonly logStartOffset = 0;
  private readonly entries: LogEntry[] = [];
  /** Open transactions with a record in this partition, each with its first offset here. */
  private readonly openTransactions = new Map<TransactionMark, number>();
  private readonly listeners = new Set<() => void>();
  private notifyQueued = false;
  private deleted = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get highWatermark(): number {
    return this.logStartOffset + this.entries.length;
  }

  /** The first offset of the earliest open transaction here, else the high watermark. */
  get lastStableOffset(): number {
    let stable = this.highWatermark;
    for (const first of this.openTransactions.values()) if (first < stable) stable = first;
    return stable;
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  /** Where a consumer with this isolation level stops reading. */
  endOffset(isolation: IsolationLevel): number {
    return isolation === 'read_committed' ? this.lastStableOffset : this.highWatermark;
  }

  append(record: NewRecord, producerId: number, transaction: TransactionMark | undefined): number {
    const offset = this.highWatermark;
    if (transaction !== undefined && !this.openTransactions.has(transaction)) {
      this.openTransactions.set(transaction, offset);
    }
    this.entries.push({ offset, ...record, producerId, transaction, control: undefined });
    this.changed();
    return offset;
  }

  /** Ends a transaction here: the marker takes an offset, exactly as Kafka's control batch does. */
  appendMarker(
    transaction: TransactionMark,
    marker: ControlMarker,
    producerId: number,
    timestamp: number,
  ): number {
    const offset = this.highWatermark;
    this.openTransactions.delete(transaction);
    this.entries.push({
      offset,
      timestamp,
      key: null,
      value: null,
      headers: noHeaders,
      bytes: 0,
      producerId,
      transaction,
      control: marker,
    });
    this.changed();
    return offset;
  }

  /**
   * Reads from `from` up to the isolation level's end: at most `maxBytes` of records, but always at
   * least one. read_committed skips aborted records; markers are skipped for everyone.
   */
  read(from: number, isolation: IsolationLevel, maxBytes: number): LogRead {
    const end = this.endOffset(isolation);
    const entries: LogEntry[] = [];
    let bytes = 0;
    let offset = from;
    for (; offset < end; offset += 1) {
      const entry = this.entries[offset - this.logStartOffset];
      if (entry === undefined) break;
      if (entry.control !== undefined) continue;
      if (isolation === 'read_committed' && entry.transaction?.status === 'aborted') continue;
      if (entries.length > 0 && bytes + entry.bytes > maxBytes) break;
      entries.push(entry);
      bytes += entry.bytes;
    }
    return { entries, nextOffset: offset };
  }

  /**
   * The first offset, in log order, whose timestamp is at or after `timestamp`; else the last
   * stable offset (what a read_committed ListOffsets answers, as kafkajs's admin asks).
   */
  offsetForTimestamp(timestamp: number): number {
    // Markers count, as they do in Kafka's time index: a fetch from a marker simply skips it.
    const found = this.entries.find((entry) => entry.timestamp >= timestamp);
    return found === undefined ? this.lastStableOffset : found.offset;
  }

  /** Calls `listener` (once per burst of appends) whenever the log changes. */
  onChange(listener: () => void): () => void {
    const wrapped = () => listener();
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  markDeleted(): void {
    this.deleted = true;
    this.changed();
  }

  private changed(): void {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const listener of [...this.listeners]) listener();
    });
  }
}
