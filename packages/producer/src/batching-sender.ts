import {
  abortedError,
  backoffDelayMs,
  closedError,
  InletError,
  InletErrorCode,
  type InletLogger,
  type OutgoingRecord,
  type RecordAck,
} from '@inlet/core';
import { producerChannels } from './producer-diagnostics';
import { ProducerErrorCode } from './producer-error-code';
import type { BufferOptions, LingerOptions, RetryOptions } from './producer-options';
import { SendFailedError, type SendFailureReason } from './send-failed-error';

/** Who is told how each record of a `send` / `sendBatch` call ended. */
export interface PendingOutcome {
  acknowledged(index: number, ack: RecordAck): void;
  failed(index: number, error: InletError): void;
}

/**
 * One record accepted for sending. Deliberately a flat object and no promise of its own: a
 * batch's records live until its acknowledgement, and per-record closures and promises made
 * the garbage collector the largest cost of sending.
 */
export interface PendingRecord {
  /** Set once settled; a late acknowledgement after `abort` is ignored. */
  settled: boolean;
  readonly record: OutgoingRecord;
  readonly bytes: number;
  readonly eventId: string;
  /** The event's W3C trace context, for the diagnostics. */
  readonly traceparent: string | undefined;
  /** The event's time (ms since the epoch), for the diagnostics' freshness. */
  readonly eventTime: number;
  /** When its `send` / `sendBatch` was called: the delivery timeout counts from here. */
  readonly calledAt: number;
  readonly outcome: PendingOutcome;
  /** The record's position in its `send` / `sendBatch` call. */
  readonly index: number;
}

interface SpaceWaiter {
  readonly records: number;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: InletError) => void;
}

export interface BatchingSenderOptions {
  readonly producerId: string;
  readonly linger: Required<LingerOptions>;
  readonly buffer: Required<BufferOptions>;
  readonly retry: Required<RetryOptions>;
  readonly logger: InletLogger;
  /**
   * Sends one batch; resolves with one ack per record, in order. `signal` fires when the sender
   * stops waiting for the answer (the delivery timeout, or a close that gave up).
   */
  readonly send: (records: readonly OutgoingRecord[], signal: AbortSignal) => Promise<RecordAck[]>;
}

export interface BatchingSenderCounters {
  sent: number;
  failed: number;
  retries: number;
  batches: number;
  batchedRecords: number;
}

function toInletError(error: unknown): InletError {
  if (InletError.is(error)) return error;
  return new InletError(
    InletErrorCode.kafkaProtocol,
    error instanceof Error ? error.message : String(error),
    {
      cause: error,
    },
  );
}

/**
 * Coalesces records into batches by linger time and size, sends one batch at a time (so a batch
 * and its retries never overtake an earlier one, and per-key order holds), retries retryable
 * failures with backoff until the retry budget or the delivery timeout runs out, and bounds what
 * is buffered: `send` callers wait for room, or fail at once, when it is full.
 */
export class BatchingSender {
  readonly counters: BatchingSenderCounters = {
    sent: 0,
    failed: 0,
    retries: 0,
    batches: 0,
    batchedRecords: 0,
  };
  readonly #options: BatchingSenderOptions;
  #queue: PendingRecord[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #bufferedRecords = 0;
  #bufferedBytes = 0;
  #spaceWaiters: SpaceWaiter[] = [];
  #lingerTimer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #inFlightBatch: PendingRecord[] = [];
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  #aborted: InletError | undefined;
  #wakeRetry: (() => void) | undefined;
  #abandonAttempt: ((reason: InletError) => void) | undefined;

  constructor(options: BatchingSenderOptions) {
    this.#options = options;
  }

  get bufferedRecords(): number {
    return this.#bufferedRecords;
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Takes room at once if there is some and nobody is waiting for it; false otherwise. */
  tryReserve(records: number, bytes: number): boolean {
    if (this.#closed || this.#spaceWaiters.length > 0 || !this.#fits(records, bytes)) return false;
    this.#take(records, bytes);
    return true;
  }

  /**
   * Reserves room for records about to be accepted: resolves when there is room, waits (in
   * arrival order) when the buffer is full, or fails with INLET_BUFFER_FULL when configured to,
   * or when there is still no room at `deadline` (ms since the epoch).
   */
  async reserve(records: number, bytes: number, signal?: AbortSignal, deadline?: number): Promise<void> {
    if (this.#closed) throw closedError('producer');
    const { maxRecords, maxBytes, whenFull } = this.#options.buffer;
    if (records > maxRecords || bytes > maxBytes) {
      throw new InletError(
        ProducerErrorCode.bufferFull,
        `${records} records (${bytes} bytes) can never fit the producer buffer (buffer.maxRecords ${maxRecords}, buffer.maxBytes ${maxBytes})`,
      );
    }
    if (this.#spaceWaiters.length === 0 && this.#fits(records, bytes)) {
      this.#take(records, bytes);
      return;
    }
    if (whenFull === 'fail') {
      throw new InletError(
        ProducerErrorCode.bufferFull,
        `producer buffer is full (${this.#bufferedRecords} records, ${this.#bufferedBytes} bytes unacknowledged)`,
        { retryable: true },
      );
    }
    if (signal?.aborted) throw abortedError('waiting for room in the producer buffer', signal);
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stopWaiting = (error: InletError) => {
        this.#spaceWaiters = this.#spaceWaiters.filter((waiter) => waiter !== entry);
        entry.reject(error);
        // Whoever waited behind this one may fit now.
        this.#wakeWaiters();
      };
      const onAbort = () =>
        stopWaiting(abortedError('waiting for room in the producer buffer', signal as AbortSignal));
      const cleanUp = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const entry: SpaceWaiter = {
        records,
        bytes,
        resolve: () => {
          cleanUp();
          resolve();
        },
        reject: (error) => {
          cleanUp();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined) {
        timer = setTimeout(
          () =>
            stopWaiting(
              new InletError(
                ProducerErrorCode.bufferFull,
                `no room in the producer buffer within the delivery timeout (${this.#options.retry.deliveryTimeoutMs} ms; ${this.#bufferedRecords} records, ${this.#bufferedBytes} bytes unacknowledged); nothing was sent`,
                { retryable: true },
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
      }
      this.#spaceWaiters.push(entry);
    });
  }

  /** Gives back room reserved for records that will not be accepted after all. */
  release(records: number, bytes: number): void {
    this.#bufferedRecords -= records;
    this.#bufferedBytes -= bytes;
    this.#wakeWaiters();
  }

  /** Queues records whose room was reserved; they go out with the next batch. */
  enqueue(pending: readonly PendingRecord[]): void {
    if (this.#aborted !== undefined) {
      this.#failAll(pending, this.#aborted, 0);
      return;
    }
    for (const item of pending) {
      this.#queue.push(item);
      this.#queuedBytes += item.bytes;
    }
    const { maxRecords, maxBytes, ms } = this.#options.linger;
    if (this.#queued() >= maxRecords || this.#queuedBytes >= maxBytes || ms === 0) {
      this.#pump();
    } else if (this.#lingerTimer === undefined && this.#inFlight === undefined) {
      this.#lingerTimer = setTimeout(() => this.#pump(), ms);
    }
  }

  /** Sends what is queued now, and resolves once everything accepted so far is settled. */
  async flush(): Promise<void> {
    this.#pump();
    if (this.#bufferedRecords === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new records; `flush` still delivers what was accepted. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#spaceWaiters.splice(0)) waiter.reject(closedError('producer'));
  }

  /**
   * Fails everything not yet acknowledged (queued, and the batch in flight, whose late answer is
   * then ignored) with a SendFailedError caused by `error`, and stops retrying.
   */
  abort(error: InletError): void {
    this.#aborted = error;
    this.close();
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    const queued = this.#queue.slice(this.#queueHead);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
    this.#failAll([...this.#inFlightBatch, ...queued], error, 0);
    this.#abandonAttempt?.(error);
    this.#wakeRetry?.();
    this.#notifyIdle();
  }

  #failAll(items: readonly PendingRecord[], cause: InletError, attempts: number): void {
    const open = items.filter((item) => !item.settled);
    if (open.length === 0) return;
    const error = new SendFailedError(
      `${open.length} event(s) were not acknowledged: ${cause.message}`,
      open.map((item) => item.eventId),
      attempts,
      cause,
      'closed',
    );
    for (const item of open) this.#settleFailed(item, error);
  }

  #fits(records: number, bytes: number): boolean {
    const { maxRecords, maxBytes } = this.#options.buffer;
    return this.#bufferedRecords + records <= maxRecords && this.#bufferedBytes + bytes <= maxBytes;
  }

  #take(records: number, bytes: number): void {
    this.#bufferedRecords += records;
    this.#bufferedBytes += bytes;
  }

  #wakeWaiters(): void {
    while (this.#spaceWaiters.length > 0) {
      const waiter = this.#spaceWaiters[0] as SpaceWaiter;
      if (!this.#fits(waiter.records, waiter.bytes)) return;
      this.#spaceWaiters.shift();
      this.#take(waiter.records, waiter.bytes);
      waiter.resolve();
    }
  }

  #queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  #notifyIdle(): void {
    if (this.#bufferedRecords !== 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #settled(item: PendingRecord): boolean {
    if (item.settled) return false;
    item.settled = true;
    this.#bufferedRecords -= 1;
    this.#bufferedBytes -= item.bytes;
    return true;
  }

  #settleFailed(item: PendingRecord, error: InletError): void {
    if (!this.#settled(item)) return;
    this.counters.failed += 1;
    item.outcome.failed(item.index, error);
  }

  #takeBatch(): PendingRecord[] {
    const { maxRecords, maxBytes } = this.#options.linger;
    const batch: PendingRecord[] = [];
    let bytes = 0;
    while (this.#queueHead < this.#queue.length && batch.length < maxRecords) {
      const next = this.#queue[this.#queueHead] as PendingRecord;
      if (batch.length > 0 && bytes + next.bytes > maxBytes) break;
      batch.push(next);
      bytes += next.bytes;
      this.#queueHead += 1;
    }
    this.#queuedBytes -= bytes;
    // Sent records should not stay reachable from the queue once their batch is settled.
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return batch;
  }

  #pump(): void {
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    if (this.#inFlight !== undefined) return;
    if (this.#queued() === 0) {
      this.#notifyIdle();
      return;
    }
    const batch = this.#takeBatch();
    this.#inFlightBatch = batch;
    this.#inFlight = this.#deliver(batch).finally(() => {
      this.#inFlight = undefined;
      this.#inFlightBatch = [];
      this.#wakeWaiters();
      // What queued up during the send has waited long enough: send it now.
      if (this.#queued() > 0) this.#pump();
      else this.#notifyIdle();
    });
  }

  /**
   * One attempt, given up at `deadline`: the transport is told through its signal, and the
   * answer, should it still come, is ignored (the records then count as unknown, not as sent).
   */
  async #attempt(records: readonly OutgoingRecord[], deadline: number): Promise<RecordAck[]> {
    const controller = new AbortController();
    let gaveUpWith: InletError | undefined;
    let giveUp: (reason: InletError) => void = () => undefined;
    const givenUp = new Promise<never>((_, reject) => {
      giveUp = (reason) => {
        gaveUpWith ??= reason;
        reject(reason);
        controller.abort(reason);
      };
    });
    const { deliveryTimeoutMs } = this.#options.retry;
    const timer = setTimeout(
      () =>
        giveUp(
          new InletError(
            InletErrorCode.timeout,
            `no answer from Kafka within the delivery timeout (${deliveryTimeoutMs} ms); the events may have been written`,
            { retryable: true },
          ),
        ),
      Math.max(0, deadline - Date.now()),
    );
    this.#abandonAttempt = giveUp;
    try {
      const sending = this.#options.send(records, controller.signal);
      sending.catch(() => undefined);
      return await Promise.race([sending, givenUp]);
    } catch (error) {
      // The transport's answer to the abort (INLET_ABORTED) is not why the attempt ended.
      throw gaveUpWith ?? error;
    } finally {
      clearTimeout(timer);
      this.#abandonAttempt = undefined;
    }
  }

  async #deliver(batch: PendingRecord[]): Promise<void> {
    const { retry, producerId, logger } = this.#options;
    const records = batch.map((item) => item.record);
    let bytes = 0;
    // Records are queued in call order, so the first was called first; the minimum is taken
    // anyway, as the bound is per record.
    let oldest = Number.POSITIVE_INFINITY;
    for (const item of batch) {
      bytes += item.bytes;
      if (item.calledAt < oldest) oldest = item.calledAt;
    }
    const deadline = oldest + retry.deliveryTimeoutMs;
    const started = performance.now();
    let attempt = 0;
    let failure: InletError | undefined;
    for (;;) {
      if (this.#aborted !== undefined) return;
      if (Date.now() >= deadline) {
        this.#failBatch(batch, failure ?? this.#expired(), attempt, 'delivery-timeout');
        return;
      }
      try {
        const acks = await this.#attempt(records, deadline);
        batch.forEach((item, index) => {
          if (this.#settled(item)) item.outcome.acknowledged(item.index, acks[index] as RecordAck);
        });
        this.counters.sent += batch.length;
        this.counters.batches += 1;
        this.counters.batchedRecords += batch.length;
        if (producerChannels.batchSent.hasSubscribers) {
          producerChannels.batchSent.publish({
            producerId,
            records: batch.length,
            bytes,
            ackedAt: Date.now(),
            ackLatencyMs: performance.now() - started,
            queueLatencyMs: Date.now() - oldest,
            attempts: attempt + 1,
            events: batch.map((item, index) => {
              const ack = acks[index] as RecordAck;
              return {
                topic: ack.topic,
                partition: ack.partition,
                offset: ack.offset,
                eventId: item.eventId,
                traceparent: item.traceparent,
                eventTime: item.eventTime,
              };
            }),
          });
        }
        return;
      } catch (error) {
        failure = toInletError(error);
      }
      if (this.#aborted !== undefined) return;
      const remaining = deadline - Date.now();
      if (!failure.retryable || attempt >= retry.retries || remaining <= 0) {
        const reason: SendFailureReason = !failure.retryable
          ? 'not-retryable'
          : remaining <= 0
            ? 'delivery-timeout'
            : 'retries-exhausted';
        this.#failBatch(batch, failure, attempt + 1, reason);
        return;
      }
      const delayMs = Math.max(0, Math.min(remaining, backoffDelayMs(attempt + 1, retry)));
      attempt += 1;
      this.counters.retries += 1;
      logger.warn('producer batch failed; retrying', {
        records: batch.length,
        attempt,
        delayMs,
        code: failure.code,
        error: failure.message,
      });
      if (producerChannels.batchRetry.hasSubscribers) {
        producerChannels.batchRetry.publish({
          producerId,
          records: batch.length,
          attempt,
          delayMs,
          error: failure,
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.#wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeRetry = undefined;
    }
  }

  #expired(): InletError {
    return new InletError(
      InletErrorCode.timeout,
      `the delivery timeout (${this.#options.retry.deliveryTimeoutMs} ms) ran out before they were sent`,
      { retryable: true },
    );
  }

  #failBatch(batch: PendingRecord[], cause: InletError, attempts: number, reason: SendFailureReason): void {
    const eventIds = batch.map((item) => item.eventId);
    const why = {
      closed: 'the producer was closed before they were acknowledged',
      'delivery-timeout': `the delivery timeout (${this.#options.retry.deliveryTimeoutMs} ms) ran out`,
      'retries-exhausted': `the retry budget (${this.#options.retry.retries} retries) ran out`,
      'not-retryable': 'the error is not retryable',
    }[reason];
    const error = new SendFailedError(
      `${batch.length} event(s) were not acknowledged after ${attempts} attempt(s): ${why}; last error ${cause.code}: ${cause.message}`,
      eventIds,
      attempts,
      cause,
      reason,
    );
    for (const item of batch) this.#settleFailed(item, error);
    this.#options.logger.error('producer batch failed', {
      records: batch.length,
      attempts,
      code: cause.code,
    });
    if (producerChannels.batchFailed.hasSubscribers) {
      producerChannels.batchFailed.publish({
        producerId: this.#options.producerId,
        records: batch.length,
        eventIds,
        error,
      });
    }
  }
}
