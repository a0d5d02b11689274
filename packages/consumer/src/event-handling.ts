import type { InletEvent } from '@inlet/core';
import type { CommitTracking } from './commit-tracking';
import { consumerChannels } from './consumer-diagnostics';
import type { BatchHandlerContext, HandlerContext } from './consumer-options';
import type { DeadLetterWriter } from './dead-letter-writer';
import type { DedupMarks } from './dedup-marks';
import type { HandlerAttempts, HandlerFailure } from './handler-attempts';
import { type CheckOutcome, OffsetOrderChecks } from './offset-order-checks';
import type { PartitionStates } from './partition-states';
import { AbandonedWork, ConsumerFailedError, type ServiceCalls, toInletError } from './retries';
import type { MemoryDedupMarks } from './stores/memory-stores';
import type { TransactionalDedup } from './stores/stores';
import type { VersionGate } from './version-gate';
import type { BatchWork, Outcome, WorkItem } from './work-item';

type Handle = (event: never, context: never) => Promise<void>;

/** A batch's events sorted by the checks, in offset order. */
interface Classified {
  readonly outcomes: ReadonlyMap<WorkItem, CheckOutcome>;
  /** Those that go to the handler. */
  readonly fresh: readonly WorkItem[];
}
type HandleBatch = (events: never, context: never) => Promise<void>;

export interface EventHandlingOptions<TTransaction> {
  readonly handle: Handle | undefined;
  readonly handleBatch: HandleBatch | undefined;
  readonly dedup: DedupMarks;
  readonly versions: VersionGate | undefined;
  readonly transactional: TransactionalDedup<TTransaction> | undefined;
  readonly attempts: HandlerAttempts;
  readonly service: ServiceCalls;
  readonly deadLetters: DeadLetterWriter;
  readonly commits: CommitTracking;
  readonly partitions: PartitionStates;
  /** Counts an item's outcome and lets it go (its offset done unless abandoned). */
  readonly settle: (item: WorkItem, outcome: Outcome, startedAt: number) => void;
  /** What a thrown error means: abandoned work, or a failure that stops the consumer. */
  readonly thrownOutcome: (error: unknown) => Outcome;
  /** An event counted handled was dead-lettered after all. */
  readonly handledThenDeadLettered: () => void;
}

/** Whether anyone listens for outcomes, which carry how long handling took. */
function timedOutcomes(): boolean {
  return (
    consumerChannels.handled.hasSubscribers ||
    consumerChannels.duplicate.hasSubscribers ||
    consumerChannels.stale.hasSubscribers
  );
}

/** The context of one event's handler: a class, so that no closure is made per event. */
class EventContext<TTransaction> implements HandlerContext<TTransaction> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly highWatermark: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly transaction: TTransaction;
  readonly #item: WorkItem;
  readonly #handling: EventHandling<TTransaction>;

  constructor(
    item: WorkItem,
    attempt: number,
    transaction: TTransaction,
    signal: AbortSignal,
    handling: EventHandling<TTransaction>,
  ) {
    const { record } = item;
    this.topic = record.topic;
    this.partition = record.partition;
    this.offset = record.offset;
    this.timestamp = record.timestamp;
    this.highWatermark = item.highWatermark;
    this.attempt = attempt;
    this.signal = signal;
    this.transaction = transaction;
    this.#item = item;
    this.#handling = handling;
  }

  get lag(): number {
    return Math.max(0, Number(this.highWatermark) - this.#item.offset - 1);
  }

  holdCommit(): () => void {
    return this.#handling.holdCommit(this.#item);
  }

  deadLetter(error: unknown): Promise<void> {
    return this.#handling.deadLetterLater(this.#item, error);
  }
}

/**
 * The handling stage: an event (from its key lane) or a partition's batch through the checks
 * before the handler — dedup, then the version gate, in offset order (`OffsetOrderChecks`) — the
 * handler with its retries, and what follows: marks and versions recorded, or the dead-letter
 * topic. With transactional dedup the marks go in the handler's transaction.
 */
export class EventHandling<TTransaction> {
  readonly #options: EventHandlingOptions<TTransaction>;
  /** The in-process marks, when they are the whole dedup (no store, not transactional). */
  readonly #plainLocalMarks: MemoryDedupMarks | undefined;
  /** Events being handled, by dedup key, with the copies waiting for them (null: none). */
  readonly #inProgress = new Map<string, (() => void)[] | null>();

  constructor(options: EventHandlingOptions<TTransaction>) {
    this.#options = options;
    this.#plainLocalMarks = options.transactional === undefined ? options.dedup.local : undefined;
  }

  /** Holds the commit of an item's offset (see `HandlerContext.holdCommit`). */
  holdCommit(item: WorkItem): () => void {
    return this.#options.commits.hold(item);
  }

  /**
   * Dead-letters an event after its handler (see `HandlerContext.deadLetter`); it counts as
   * dead-lettered instead of handled. A letter that cannot be written stops the consumer.
   */
  async deadLetterLater(item: WorkItem, error: unknown): Promise<void> {
    const signal = this.#options.partitions.signalFor(item.partitionKey);
    try {
      await this.#options.deadLetters.write(item, toInletError(error), 1, signal);
    } catch (failure) {
      this.#options.thrownOutcome(failure);
      throw failure;
    }
    if (item.settled) this.#options.handledThenDeadLettered();
  }

  /** One event from its lane: `handle` mode. */
  async runEvent(item: WorkItem): Promise<WorkItem> {
    const startedAt = timedOutcomes() ? performance.now() : 0;
    const signal = this.#options.partitions.signalFor(item.partitionKey);
    let outcome: Outcome;
    try {
      if (item.decodeError !== undefined) {
        outcome = await this.#afterFailure(item, { error: item.decodeError, attempts: 1 }, signal);
      } else {
        // Copies of one event never run concurrently, even across a rebalance: a copy waits for
        // the running one (no promise is made unless one has to wait).
        const inProgress = this.#inProgress;
        const key = item.dedupKey;
        while (inProgress.has(key)) {
          await new Promise<void>((resolve) => {
            const waiting = inProgress.get(key);
            if (waiting === null || waiting === undefined) inProgress.set(key, [resolve]);
            else waiting.push(resolve);
          });
        }
        inProgress.set(key, null);
        try {
          const local = this.#plainLocalMarks;
          if (local !== undefined && item.versionKey === undefined) {
            // The per-event path of the default set-up (in-process marks, no version for the
            // gate): the checks of `#processAlone`, inline, so that an event costs as few
            // promises as can be.
            const now = Date.now();
            if (local.has(key, now)) {
              outcome = 'duplicate';
            } else {
              let failed: HandlerFailure | undefined;
              try {
                await (this.#options.handle as Handle)(
                  item.event as never,
                  this.#context(item, 1, undefined, signal) as never,
                );
              } catch (error) {
                failed = await this.#options.attempts.retry(
                  error,
                  (attempt) => this.#handleAlone(item, attempt, undefined, signal),
                  signal,
                  item.record,
                );
              }
              if (failed === undefined) {
                // No copy marked it meanwhile: copies of one event run one at a time (above).
                local.markUnmarked(key, this.#options.dedup.windowMs, now);
                outcome = 'handled';
              } else {
                outcome = await this.#afterFailure(item, failed, signal);
              }
            }
          } else {
            outcome = await this.#processAlone(item, signal);
          }
        } finally {
          const waiting = inProgress.get(key);
          inProgress.delete(key);
          if (waiting) for (const wake of waiting) wake();
        }
      }
    } catch (error) {
      outcome = this.#options.thrownOutcome(error);
    }
    this.#options.settle(item, outcome, startedAt);
    return item;
  }

  /** A partition's batch: `handleBatch` mode. */
  async runBatch(work: BatchWork): Promise<BatchWork> {
    const startedAt = timedOutcomes() ? performance.now() : 0;
    const signal = this.#options.partitions.signalFor(work.partitionKey);
    const { transactional, settle } = this.#options;
    try {
      const decoded: WorkItem[] = [];
      for (const item of work.items) {
        if (item.decodeError === undefined) decoded.push(item);
        else
          settle(
            item,
            await this.#afterFailure(item, { error: item.decodeError, attempts: 1 }, signal),
            startedAt,
          );
      }
      if (decoded.length === 0) return work;
      if (transactional !== undefined)
        await this.#runBatchTransactional(transactional, decoded, signal, startedAt);
      else await this.#runBatchPlain(decoded, signal, startedAt);
    } catch (error) {
      this.#options.thrownOutcome(error);
      // Whatever did not finish stays uncommitted and is delivered again.
      for (const item of work.items) settle(item, 'abandoned', startedAt);
    }
    return work;
  }

  /** An event that failed for good: dead-lettered, or (dead-lettering off) the consumer stops. */
  async #afterFailure(item: WorkItem, failed: HandlerFailure, signal: AbortSignal): Promise<Outcome> {
    if (signal.aborted) return 'abandoned';
    const { deadLetters } = this.#options;
    if (!deadLetters.enabled) {
      const { record } = item;
      throw new ConsumerFailedError(
        failed.error.code,
        `${record.topic}/${record.partition}@${record.offset} failed after ${failed.attempts} attempt(s) ` +
          `and dead-lettering is off: ${failed.error.message}`,
        { cause: failed.error },
      );
    }
    await deadLetters.write(item, failed.error, failed.attempts, signal);
    return 'dead-lettered';
  }

  #context(
    item: WorkItem,
    attempt: number,
    transaction: unknown,
    signal: AbortSignal,
  ): HandlerContext<TTransaction> {
    return new EventContext(item, attempt, transaction as TTransaction, signal, this);
  }

  #batchContext(
    items: readonly WorkItem[],
    attempt: number,
    transaction: unknown,
    signal: AbortSignal,
  ): BatchHandlerContext<TTransaction> {
    const { commits } = this.#options;
    const first = items[0] as WorkItem;
    const last = items[items.length - 1] as WorkItem;
    return {
      topic: first.record.topic,
      partition: first.record.partition,
      offsets: items.map((item) => item.record.offset),
      bytes: items.reduce((sum, item) => sum + item.bytes, 0),
      timestamps: items.map((item) => item.record.timestamp),
      highWatermark: last.highWatermark,
      lag: Math.max(0, Number(last.highWatermark) - last.offset - 1),
      fetchEnd: last.fetchEnd ?? String(last.offset + 1),
      attempt,
      signal,
      transaction: transaction as TTransaction,
      holdCommit: () => holdEach(commits, items),
      deadLetter: (index: number, error: unknown) => {
        const item = items[index];
        if (item === undefined)
          return Promise.reject(new RangeError(`deadLetter(${index}): the batch has ${items.length} events`));
        return this.deadLetterLater(item, error);
      },
    };
  }

  /** The handler for one event: `handle`, or `handleBatch` with a batch of one. */
  #handleAlone(item: WorkItem, attempt: number, transaction: unknown, signal: AbortSignal): Promise<void> {
    const { handle, handleBatch } = this.#options;
    const event = item.event as never;
    if (handle !== undefined)
      return handle(event, this.#context(item, attempt, transaction, signal) as never);
    return (handleBatch as HandleBatch)(
      [event] as never,
      this.#batchContext([item], attempt, transaction, signal) as never,
    );
  }

  async #storedLatest(items: readonly WorkItem[], signal: AbortSignal) {
    const { versions } = this.#options;
    return versions === undefined
      ? new Map<string, number | undefined>()
      : versions.storedLatest(items, signal);
  }

  async #recordVersions(items: readonly WorkItem[], signal: AbortSignal): Promise<void> {
    await this.#options.versions?.record(items, signal);
  }

  /**
   * One decoded event through the checks and its handler, on its own: the path of `handle`, and
   * of `handleBatch` events when their batch keeps failing. `checks` carries what earlier events
   * of the same batch did.
   */
  async #processAlone(item: WorkItem, signal: AbortSignal, checks?: OffsetOrderChecks): Promise<Outcome> {
    const { transactional, dedup, attempts } = this.#options;
    if (transactional !== undefined)
      return this.#processAloneTransactional(transactional, item, signal, checks);
    const gate =
      checks ??
      (item.versionKey === undefined
        ? undefined
        : new OffsetOrderChecks(await this.#storedLatest([item], signal)));
    const local = dedup.local;
    const marked =
      local !== undefined ? local.has(item.dedupKey) : (await dedup.marked([item], signal))[0] === true;
    const checked: CheckOutcome =
      gate === undefined ? (marked ? 'duplicate' : 'fresh') : gate.check(item, marked);
    if (checked === 'duplicate') return 'duplicate';
    if (checked === 'stale') {
      gate?.skipped(item);
      await dedup.markDone([item], signal);
      return 'stale';
    }
    const failed = await attempts.run(
      (attempt) => this.#handleAlone(item, attempt, undefined, signal),
      signal,
      item.record,
    );
    if (failed !== undefined) return this.#afterFailure(item, failed, signal);
    gate?.handled(item);
    if (local !== undefined) local.mark(item.dedupKey, dedup.windowMs);
    else await dedup.markDone([item], signal);
    if (item.versionKey !== undefined) await this.#recordVersions([item], signal);
    return 'handled';
  }

  async #processAloneTransactional(
    transactional: TransactionalDedup<TTransaction>,
    item: WorkItem,
    signal: AbortSignal,
    checks: OffsetOrderChecks | undefined,
  ): Promise<Outcome> {
    const { service, attempts, dedup } = this.#options;
    let outcome: 'handled' | 'stale' | 'duplicate' = 'handled';
    let handlerError: unknown;
    const failed = await attempts.run(
      async (attempt) => {
        outcome = 'handled';
        handlerError = undefined;
        const result = await service.call(
          'transactional dedup',
          'run',
          () =>
            transactional.run(dedup.storeKey(item.dedupKey), dedup.windowMs, async (transaction) => {
              // The mark is in: the event is no duplicate. A stale one commits its mark alone.
              const gate =
                checks ??
                (item.versionKey === undefined
                  ? undefined
                  : new OffsetOrderChecks(await this.#storedLatest([item], signal)));
              if (gate?.check(item, false) === 'stale') {
                outcome = 'stale';
                return;
              }
              try {
                await this.#handleAlone(item, attempt, transaction, signal);
              } catch (error) {
                handlerError = error;
                throw error;
              }
            }),
          signal,
          (error) => handlerError !== undefined && error === handlerError,
        );
        if (result === 'duplicate') outcome = 'duplicate';
      },
      signal,
      item.record,
    );
    if (failed !== undefined) return this.#afterFailure(item, failed, signal);
    if (outcome === 'handled') {
      checks?.handled(item);
      await this.#recordVersions([item], signal);
    } else if (outcome === 'stale') {
      checks?.skipped(item);
    }
    return outcome;
  }

  /** Sorts a batch's events in offset order, assuming every fresh one will be handled. */
  #classify(items: readonly WorkItem[], marked: readonly boolean[], checks: OffsetOrderChecks): Classified {
    const outcomes = new Map<WorkItem, CheckOutcome>();
    const fresh: WorkItem[] = [];
    for (const [index, item] of items.entries()) {
      const outcome = checks.check(item, marked[index] === true);
      outcomes.set(item, outcome);
      if (outcome === 'fresh') {
        checks.handled(item);
        fresh.push(item);
      } else if (outcome === 'stale') {
        checks.skipped(item);
      }
    }
    return { outcomes, fresh };
  }

  #settleClassified(
    items: readonly WorkItem[],
    outcomes: ReadonlyMap<WorkItem, CheckOutcome>,
    startedAt: number,
  ) {
    for (const item of items) {
      const outcome = outcomes.get(item) ?? 'duplicate';
      this.#options.settle(item, outcome === 'fresh' ? 'handled' : outcome, startedAt);
    }
  }

  #events(items: readonly WorkItem[]): readonly InletEvent[] {
    return items.map((item) => item.event as InletEvent);
  }

  async #runBatchPlain(items: readonly WorkItem[], signal: AbortSignal, startedAt: number): Promise<void> {
    const { dedup, attempts } = this.#options;
    const handleBatch = this.#options.handleBatch as HandleBatch;
    const marked = await dedup.marked(items, signal);
    const latest = await this.#storedLatest(items, signal);
    const { outcomes, fresh } = this.#classify(items, marked, new OffsetOrderChecks(latest));
    const failed =
      fresh.length === 0
        ? undefined
        : await attempts.run(
            (attempt) =>
              handleBatch(
                this.#events(fresh) as never,
                this.#batchContext(fresh, attempt, undefined, signal) as never,
              ),
            signal,
            (fresh[0] as WorkItem).record,
          );
    if (failed === undefined) {
      await dedup.markDone(
        items.filter((item) => outcomes.get(item) !== 'duplicate'),
        signal,
      );
      await this.#recordVersions(fresh, signal);
      this.#settleClassified(items, outcomes, startedAt);
      return;
    }
    if (signal.aborted) throw new AbandonedWork('batch abandoned');
    await this.#processEachAlone(items, marked, latest, signal, startedAt);
  }

  /** The batch keeps failing: each event on its own, in offset order, so only failing ones go. */
  async #processEachAlone(
    items: readonly WorkItem[],
    marked: readonly boolean[],
    latest: ReadonlyMap<string, number | undefined>,
    signal: AbortSignal,
    startedAt: number,
  ): Promise<void> {
    const { transactional, dedup, attempts, settle } = this.#options;
    const checks = new OffsetOrderChecks(latest);
    for (const [index, item] of items.entries()) {
      if (transactional !== undefined) {
        // The transactional dedup checks the stored mark itself; earlier events of the batch
        // marked theirs in their own transactions.
        settle(item, await this.#processAloneTransactional(transactional, item, signal, checks), startedAt);
        continue;
      }
      const checked = checks.check(item, marked[index] === true);
      if (checked === 'duplicate') {
        settle(item, 'duplicate', startedAt);
      } else if (checked === 'stale') {
        checks.skipped(item);
        await dedup.markDone([item], signal);
        settle(item, 'stale', startedAt);
      } else {
        const failed = await attempts.run(
          (attempt) => this.#handleAlone(item, attempt, undefined, signal),
          signal,
          item.record,
        );
        if (failed !== undefined) {
          settle(item, await this.#afterFailure(item, failed, signal), startedAt);
          continue;
        }
        checks.handled(item);
        await dedup.markDone([item], signal);
        await this.#recordVersions([item], signal);
        settle(item, 'handled', startedAt);
      }
    }
  }

  async #runBatchTransactional(
    transactional: TransactionalDedup<TTransaction>,
    items: readonly WorkItem[],
    signal: AbortSignal,
    startedAt: number,
  ): Promise<void> {
    const { service, attempts, dedup } = this.#options;
    const handleBatch = this.#options.handleBatch as HandleBatch;
    let classified: Classified | undefined;
    let latest: ReadonlyMap<string, number | undefined> = new Map();
    let handlerError: unknown;
    const failed = await attempts.run(
      async (attempt) => {
        classified = undefined;
        handlerError = undefined;
        await service.call(
          'transactional dedup',
          'run',
          () =>
            transactional.runBatch(
              items.map((item) => dedup.storeKey(item.dedupKey)),
              dedup.windowMs,
              async (transaction, fresh) => {
                latest = await this.#storedLatest(items, signal);
                classified = this.#classify(
                  items,
                  fresh.map((isFresh) => !isFresh),
                  new OffsetOrderChecks(latest),
                );
                if (classified.fresh.length === 0) return;
                try {
                  await handleBatch(
                    this.#events(classified.fresh) as never,
                    this.#batchContext(classified.fresh, attempt, transaction, signal) as never,
                  );
                } catch (error) {
                  handlerError = error;
                  throw error;
                }
              },
            ),
          signal,
          (error) => handlerError !== undefined && error === handlerError,
        );
      },
      signal,
      (items[0] as WorkItem).record,
    );
    if (failed === undefined) {
      // No key fresh: every event was marked already, and the work did not run.
      const outcomes = classified?.outcomes ?? new Map<WorkItem, CheckOutcome>();
      await this.#recordVersions(classified?.fresh ?? [], signal);
      this.#settleClassified(items, outcomes, startedAt);
      return;
    }
    if (signal.aborted) throw new AbandonedWork('batch abandoned');
    await this.#processEachAlone(items, [], latest, signal, startedAt);
  }
}

/**
 * Holds the commit of every item; one function releases them all. Outside the batch's context on
 * purpose: what it returns keeps the holds only, not the items (nor their records and events).
 */
function holdEach(commits: CommitTracking, items: readonly WorkItem[]): () => void {
  const releases = items.map((item) => commits.hold(item));
  return () => {
    for (const release of releases) release();
  };
}
