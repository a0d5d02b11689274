import {
  closedError,
  type OutgoingRecord,
  type RecordAck,
  type SendOptions,
  type TopicPartitionOffset,
  type TransportTransaction,
  throwIfAborted,
} from '@inlet/core';
import type { BrokerTransaction } from './broker-transaction';
import type { InMemoryBroker } from './in-memory-broker';
import type { NullKeyPartitioner } from './null-key-partitioner';
import { checkNonEmptyString } from './option-checks';
import { parsePartitionOffsets } from './parse-offsets';
import { appendRecords } from './record-appender';

/** What a transaction needs from the producer that began it. */
export interface TransactionOwner {
  readonly broker: InMemoryBroker;
  readonly partitioner: NullKeyPartitioner;
  /** Throws `INLET_CLOSED` once the producer is closed. */
  ensureOpen(): void;
}

export class InMemoryTransaction implements TransportTransaction {
  constructor(
    private readonly owner: TransactionOwner,
    private readonly transaction: BrokerTransaction,
  ) {}

  get isActive(): boolean {
    return this.transaction.status === 'open';
  }

  async send(records: readonly OutgoingRecord[], options: SendOptions = {}): Promise<RecordAck[]> {
    this.ensureActive();
    throwIfAborted(options.signal, 'transactional send');
    const { broker, partitioner } = this.owner;
    const acks = appendRecords(broker.topics, records, {
      producerId: this.transaction.session.producerId,
      partitioner,
      transaction: this.transaction,
    });
    broker.transactions.touch(this.transaction);
    return acks;
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureActive();
    checkNonEmptyString(groupId, 'groupId');
    const parsed = parsePartitionOffsets(this.owner.broker.topics, offsets, 'offsets');
    this.owner.broker.transactions.addOffsets(this.transaction, groupId, parsed);
  }

  async commit(): Promise<void> {
    this.ensureActive();
    this.owner.broker.transactions.end(this.transaction, 'commit');
  }

  async abort(): Promise<void> {
    this.ensureActive();
    this.owner.broker.transactions.end(this.transaction, 'abort');
  }

  private ensureActive(): void {
    this.owner.ensureOpen();
    this.owner.broker.transactions.verify(this.transaction.session);
    if (this.transaction.status !== 'open') throw closedError('transaction');
  }
}
