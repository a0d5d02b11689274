import { type FencingReason, producerFencedError } from './broker-errors';
import { BrokerTransaction, type ProducerSession } from './broker-transaction';
import type { PartitionOffset } from './parse-offsets';

interface TransactionalIdState {
  readonly producerId: number;
  epoch: number;
  /** Why an older epoch is no longer current: a newer producer, or a timed-out transaction. */
  fencedBy: FencingReason;
  ongoing: BrokerTransaction | undefined;
}

type OffsetCommitter = (groupId: string, offsets: readonly PartitionOffset[]) => void;

/** Kafka's transaction coordinator: producer ids, epochs and fencing, transaction outcomes, timeouts. */
export class TransactionCoordinator {
  private readonly states = new Map<string, TransactionalIdState>();
  private nextProducerId = 0;
  private closed = false;

  constructor(private readonly commitOffsets: OffsetCommitter) {}

  allocateProducerId(): number {
    const id = this.nextProducerId;
    this.nextProducerId += 1;
    return id;
  }

  /**
   * InitProducerId: bumps the epoch of the transactional id, which fences every producer holding an
   * older epoch and aborts the transaction it left open.
   */
  initProducer(transactionalId: string): ProducerSession {
    let state = this.states.get(transactionalId);
    if (state === undefined) {
      state = {
        producerId: this.allocateProducerId(),
        epoch: -1,
        fencedBy: 'PRODUCER_FENCED',
        ongoing: undefined,
      };
      this.states.set(transactionalId, state);
    }
    if (state.ongoing !== undefined) this.complete(state.ongoing, 'abort');
    state.epoch += 1;
    state.fencedBy = 'PRODUCER_FENCED';
    return { transactionalId, producerId: state.producerId, epoch: state.epoch };
  }

  /** Throws the fencing error when `session` is no longer the current epoch of its id. */
  verify(session: ProducerSession): void {
    const state = this.states.get(session.transactionalId);
    if (state === undefined || state.epoch !== session.epoch) {
      throw producerFencedError(session.transactionalId, state?.fencedBy ?? 'PRODUCER_FENCED');
    }
  }

  begin(session: ProducerSession, timeoutMs: number): BrokerTransaction {
    this.verify(session);
    const transaction = new BrokerTransaction(session, timeoutMs);
    const state = this.states.get(session.transactionalId);
    if (state !== undefined) state.ongoing = transaction;
    return transaction;
  }

  /** Starts the timeout clock at the first write, as Kafka's AddPartitionsToTxn does. */
  touch(transaction: BrokerTransaction): void {
    if (transaction.expiry !== undefined || transaction.status !== 'open' || this.closed) return;
    transaction.expiry = setTimeout(() => this.expire(transaction), transaction.timeoutMs);
    transaction.expiry.unref();
  }

  addOffsets(transaction: BrokerTransaction, groupId: string, offsets: readonly PartitionOffset[]): void {
    const pending = transaction.pendingOffsets.get(groupId) ?? [];
    pending.push(...offsets);
    transaction.pendingOffsets.set(groupId, pending);
    this.touch(transaction);
  }

  end(transaction: BrokerTransaction, outcome: 'commit' | 'abort'): void {
    this.verify(transaction.session);
    this.complete(transaction, outcome);
  }

  close(): void {
    this.closed = true;
    for (const state of this.states.values()) {
      if (state.ongoing?.expiry !== undefined) clearTimeout(state.ongoing.expiry);
    }
  }

  private complete(transaction: BrokerTransaction, outcome: 'commit' | 'abort'): void {
    if (transaction.expiry !== undefined) clearTimeout(transaction.expiry);
    transaction.expiry = undefined;
    transaction.status = outcome === 'commit' ? 'committed' : 'aborted';
    const now = Date.now();
    for (const log of transaction.partitions) {
      log.appendMarker(transaction, outcome, transaction.session.producerId, now);
    }
    if (outcome === 'commit') {
      for (const [groupId, offsets] of transaction.pendingOffsets) this.commitOffsets(groupId, offsets);
    }
    const state = this.states.get(transaction.session.transactionalId);
    if (state?.ongoing === transaction) state.ongoing = undefined;
  }

  private expire(transaction: BrokerTransaction): void {
    transaction.expiry = undefined;
    if (this.closed || transaction.status !== 'open') return;
    this.complete(transaction, 'abort');
    // Kafka bumps the epoch when it aborts a timed-out transaction, so the producer that abandoned
    // it cannot write again with the old epoch; kafkajs cannot recover from that without a new producer.
    const state = this.states.get(transaction.session.transactionalId);
    if (state !== undefined && state.epoch === transaction.session.epoch) {
      state.epoch += 1;
      state.fencedBy = 'INVALID_PRODUCER_EPOCH';
    }
  }
}
