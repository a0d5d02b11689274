import { type BackoffBounds, backoffDelayMs } from '@inlet/core';
import type { PartitionLog } from './partition-log';

const redeliveryBackoff: BackoffBounds = { minDelayMs: 100, maxDelayMs: 1_000 };

/** One assigned partition of one member: its fetch position and the state of its batch. */
export class PartitionFetcher {
  position: number;
  inFlight = false;
  /** Bumped by every seek: a batch fetched under an older epoch is stale. */
  epoch = 0;
  revoked = false;
  /** Waiting for the assignment hook to say where the partition starts. */
  held = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly stopListening: () => void;

  constructor(
    readonly log: PartitionLog,
    position: number,
    private readonly wake: () => void,
  ) {
    this.position = position;
    this.stopListening = log.onChange(wake);
  }

  /** Free to fetch: not revoked or held, no batch in flight, not waiting to redeliver. */
  get ready(): boolean {
    return !this.revoked && !this.held && !this.inFlight && this.retryTimer === undefined;
  }

  isStale(epoch: number): boolean {
    return this.revoked || this.epoch !== epoch;
  }

  /** The partition moves under the batch in flight (rebalance, close): that batch is stale. */
  markMoved(): void {
    this.epoch += 1;
  }

  seek(offset: number): void {
    this.position = offset;
    this.epoch += 1;
    this.failures = 0;
    this.cancelRetry();
  }

  succeeded(nextOffset: number): void {
    this.position = nextOffset;
    this.failures = 0;
  }

  /** The batch failed: deliver it again after about 100 ms, doubling per failure in a row up to 1 s. */
  failed(): void {
    this.failures += 1;
    const delay = backoffDelayMs(this.failures, redeliveryBackoff);
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, delay);
    this.retryTimer.unref();
  }

  cancelRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  revoke(): void {
    this.revoked = true;
    this.cancelRetry();
    this.stopListening();
  }
}
