import {
  closedError,
  InletError,
  InletErrorCode,
  type OutgoingRecord,
  type RecordAck,
  type SendOptions,
  type TransportProducer,
  type TransportProducerOptions,
  type TransportTransaction,
  throwIfAborted,
} from '@inlet/core';
import type { BrokerTransaction, ProducerSession } from './broker-transaction';
import type { InMemoryBroker } from './in-memory-broker';
import { InMemoryTransaction, type TransactionOwner } from './in-memory-transaction';
import { NullKeyPartitioner } from './null-key-partitioner';
import { invalidOption } from './option-checks';
import { type ResolvedProducerOptions, resolveProducerOptions } from './producer-options';
import { appendRecords } from './record-appender';

export class InMemoryProducer implements TransportProducer, TransactionOwner {
  readonly partitioner = new NullKeyPartitioner();
  private readonly options: ResolvedProducerOptions;
  /** The id of plain (non-transactional) sends. */
  private readonly producerId: number;
  /** Set by the first `transaction()`: that is when kafkajs runs InitProducerId, fencing older producers. */
  private session: ProducerSession | undefined;
  private current: BrokerTransaction | undefined;
  private closed = false;

  constructor(
    readonly broker: InMemoryBroker,
    options: TransportProducerOptions,
    private readonly onClosed: () => void,
  ) {
    this.options = resolveProducerOptions(options, broker.options);
    this.producerId = broker.transactions.allocateProducerId();
  }

  ensureOpen(): void {
    if (this.closed) throw closedError('producer');
  }

  async connect(): Promise<void> {
    this.ensureOpen();
  }

  async send(records: readonly OutgoingRecord[], options: SendOptions = {}): Promise<RecordAck[]> {
    this.ensureOpen();
    // A fenced producer is dead for every call, as the Java client treats ProducerFencedException.
    if (this.session !== undefined) this.broker.transactions.verify(this.session);
    throwIfAborted(options.signal, 'send');
    return appendRecords(this.broker.topics, records, {
      producerId: this.producerId,
      partitioner: this.partitioner,
    });
  }

  async transaction(): Promise<TransportTransaction> {
    this.ensureOpen();
    const { transactionalId } = this.options;
    if (transactionalId === undefined) {
      throw invalidOption('transactionalId', 'transaction() needs a producer created with a transactionalId');
    }
    if (this.session !== undefined) this.broker.transactions.verify(this.session);
    if (this.current?.status === 'open') {
      throw new InletError(
        InletErrorCode.invalidOption,
        'this producer already has an open transaction; commit or abort it before beginning another',
      );
    }
    this.session ??= this.broker.transactions.initProducer(transactionalId);
    this.current = this.broker.transactions.begin(this.session, this.options.transactionTimeoutMs);
    return new InMemoryTransaction(this, this.current);
  }

  async partitionCount(topic: string): Promise<number> {
    this.ensureOpen();
    return this.broker.topics.obtain(topic, 'topic').partitions.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const open = this.current;
    // Like the Java client's graceful close: an open transaction is aborted, rather than holding
    // read_committed readers at its first offset until the transaction timeout.
    if (open?.status === 'open') {
      try {
        this.broker.transactions.end(open, 'abort');
      } catch {
        // Fenced: the newer producer or the timeout has already ended it.
      }
    }
    this.onClosed();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
