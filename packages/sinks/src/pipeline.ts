import {
  type BatchHandlerContext,
  type CaughtUpOptions,
  type ConsumedEvent,
  type ConsumerOptions,
  type ConsumerStats,
  createConsumer,
  type InletConsumer,
} from '@inlet/consumer';
import {
  type BackoffBounds,
  backoffDelayMs,
  checkOptions,
  InletError,
  type InletLogger,
  option,
  required,
  silentLogger,
  sleep,
  type TopicDefinition,
  type TopicEvent,
} from '@inlet/core';
import type { Sink, SinkChange, SinkRejection } from './sink';
import { sinkChangeOf } from './sink-changes';
import { sinkChannels } from './sink-diagnostics';

export interface BatchingOptions {
  /** A partition's buffer is written once it holds this many changes. Default 500. */
  readonly maxBatch?: number;
  /** …or this many bytes of record keys and values. Default 1 MiB. */
  readonly maxBatchBytes?: number;
  /**
   * …or once its first change has waited this long. Default 0: written as soon as the
   * partition's previous write is done. While a write is in flight the next batch keeps growing,
   * so a busy partition writes large batches anyway; a linger trades latency for fewer writes.
   */
  readonly lingerMs?: number;
  /**
   * Changes buffered (not yet written) across all partitions, at most: beyond it handing over
   * waits, so the consumer's own limits stop fetching (backpressure). Default 10 000.
   */
  readonly maxBufferedChanges?: number;
}

export interface SinkRetryOptions {
  /** Retries of a write that failed as a whole, with a retryable error. Default 10. */
  readonly retries?: number;
  /** Default 100 ms. */
  readonly minDelayMs?: number;
  /** Default 5 000 ms. */
  readonly maxDelayMs?: number;
}

type ConsumerPart<TTopics extends readonly TopicDefinition[]> = Omit<
  ConsumerOptions<TTopics, never, 'deliver'>,
  'handle' | 'handleBatch' | 'tombstones' | 'transactionalDedup' | 'onPartitionsAssigned'
>;

export interface PipelineOptions<TTopics extends readonly TopicDefinition[]> extends ConsumerPart<TTopics> {
  /** Where the events go. */
  readonly sink: Sink<TopicEvent<TTopics[number]>>;
  readonly batching?: BatchingOptions;
  /** Retries of whole-write failures; past them the pipeline stops (`stopped()`). */
  readonly sinkRetry?: SinkRetryOptions;
}

export interface PipelineStats extends ConsumerStats {
  /** Changes the sink acknowledged. */
  readonly written: number;
  /** Changes the sink refused for good (dead-lettered). */
  readonly rejected: number;
  /** Writes tried again. */
  readonly writeRetries: number;
  /** Changes handed over and not yet written. */
  readonly buffered: number;
}

/** A consumer whose events land in a sink: start it, wait until caught up, close it. */
export interface Pipeline {
  start(): Promise<void>;
  /** Resolves once everything in the partitions at the call is written and committed. */
  caughtUp(options?: CaughtUpOptions): Promise<void>;
  stats(): PipelineStats;
  /** Resolves once stopped: after `close()`, or with the error that stopped it. */
  stopped(): Promise<InletError | undefined>;
  /** Writes what is buffered, commits, leaves the group, closes the sink. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What one `handleBatch` call handed over: its changes, its hold, how to dead-letter one of them. */
interface HandedOver<TEvent> {
  readonly changes: readonly SinkChange<TEvent>[];
  readonly eventTimes: readonly number[];
  readonly bytes: number;
  readonly release: () => void;
  readonly deadLetter: (index: number, error: unknown) => Promise<void>;
}

interface PartitionBuffer<TEvent> {
  readonly topic: string;
  readonly partition: number;
  parts: HandedOver<TEvent>[];
  changes: number;
  bytes: number;
  timer: NodeJS.Timeout | undefined;
  /** A flush waits for the write in flight, and will take whatever the buffer holds then. */
  flushQueued: boolean;
  /** The writes of this partition, one after the other. */
  writing: Promise<void>;
}

const pipelineDefaults = {
  maxBatch: 500,
  maxBatchBytes: 1024 * 1024,
  lingerMs: 0,
  maxBufferedChanges: 10_000,
  retries: 10,
  minDelayMs: 100,
  maxDelayMs: 5_000,
} as const;

const pipelineShape = {
  sink: required(option.methods('a Sink', ['write', 'close'])),
  batching: option.object({
    maxBatch: option.integer({ min: 1 }),
    maxBatchBytes: option.integer({ min: 1 }),
    lingerMs: option.integer({ min: 0 }),
    maxBufferedChanges: option.integer({ min: 1 }),
  }),
  sinkRetry: option.object({
    retries: option.integer({ min: 0 }),
    minDelayMs: option.integer({ min: 0 }),
    maxDelayMs: option.integer({ min: 0 }),
  }),
};

function isRetryable(error: unknown): boolean {
  return InletError.is(error) ? error.retryable : true;
}

/**
 * Consumes the topics into the sink in one step. Each partition's events, in offset order, are
 * gathered into batches (by count, bytes and time), written, and their offsets committed only
 * once the sink acknowledged them and everything before them. Records without a value arrive as
 * deletes. A change the sink refuses for good goes to the dead-letter topic with its reason and
 * the rest lands; a whole write that fails is retried with backoff and, past the retries, stops
 * the pipeline. A sink that keeps its own offsets (`storedOffsets`) resumes from them.
 */
export function createPipeline<const TTopics extends readonly TopicDefinition[]>(
  options: PipelineOptions<TTopics>,
): Pipeline {
  type TEvent = TopicEvent<TTopics[number]>;
  const given = options as unknown as Record<string, unknown>;
  const { sink, batching, sinkRetry, ...consumerOptions } = options;
  // The consumer checks its own options; these are the pipeline's.
  checkOptions(
    'pipeline',
    { sink: given.sink, batching: given.batching, sinkRetry: given.sinkRetry },
    pipelineShape,
  );
  const settings = {
    maxBatch: batching?.maxBatch ?? pipelineDefaults.maxBatch,
    maxBatchBytes: batching?.maxBatchBytes ?? pipelineDefaults.maxBatchBytes,
    lingerMs: batching?.lingerMs ?? pipelineDefaults.lingerMs,
    maxBufferedChanges: batching?.maxBufferedChanges ?? pipelineDefaults.maxBufferedChanges,
    retries: sinkRetry?.retries ?? pipelineDefaults.retries,
    delays: {
      minDelayMs: sinkRetry?.minDelayMs ?? pipelineDefaults.minDelayMs,
      maxDelayMs: Math.max(
        sinkRetry?.minDelayMs ?? pipelineDefaults.minDelayMs,
        sinkRetry?.maxDelayMs ?? pipelineDefaults.maxDelayMs,
      ),
    } satisfies BackoffBounds,
  };
  const logger: InletLogger = options.logger ?? silentLogger;
  const groupId = options.groupId;
  const counters = { written: 0, rejected: 0, writeRetries: 0 };
  const buffers = new Map<string, PartitionBuffer<TEvent>>();
  let buffered = 0;
  const roomWaiters: (() => void)[] = [];
  const stopping = new AbortController();

  function bufferOf(topic: string, partition: number): PartitionBuffer<TEvent> {
    const key = `${topic}\u0000${partition}`;
    let buffer = buffers.get(key);
    if (buffer === undefined) {
      buffer = {
        topic,
        partition,
        parts: [],
        changes: 0,
        bytes: 0,
        timer: undefined,
        flushQueued: false,
        writing: Promise.resolve(),
      };
      buffers.set(key, buffer);
    }
    return buffer;
  }

  /**
   * Writes what the buffer holds, after its earlier writes. The changes are taken when the write
   * starts, not when it is asked for: while one write is in flight the next batch keeps growing,
   * so a busy partition writes large batches and an idle one writes at once.
   */
  function flush(buffer: PartitionBuffer<TEvent>): Promise<void> {
    clearTimeout(buffer.timer);
    buffer.timer = undefined;
    if (buffer.parts.length === 0 || buffer.flushQueued) return buffer.writing;
    buffer.flushQueued = true;
    buffer.writing = buffer.writing.then(() => {
      buffer.flushQueued = false;
      clearTimeout(buffer.timer);
      buffer.timer = undefined;
      const parts = buffer.parts;
      if (parts.length === 0) return;
      buffer.parts = [];
      const changes = buffer.changes;
      buffer.changes = 0;
      buffer.bytes = 0;
      return writeParts(buffer, parts, changes);
    });
    return buffer.writing;
  }

  async function writeParts(
    buffer: PartitionBuffer<TEvent>,
    parts: readonly HandedOver<TEvent>[],
    count: number,
  ) {
    try {
      // Chunks of at most maxBatch changes, each change remembering where it came from.
      let chunk: { part: HandedOver<TEvent>; index: number }[] = [];
      for (const part of parts) {
        for (let index = 0; index < part.changes.length; index += 1) {
          chunk.push({ part, index });
          if (chunk.length === settings.maxBatch) {
            await writeChunk(buffer, chunk);
            chunk = [];
          }
        }
      }
      if (chunk.length > 0) await writeChunk(buffer, chunk);
      for (const part of parts) part.release();
    } catch (error) {
      // The write failed for good: nothing of it commits, and the pipeline stops.
      logger.error('sink write failed; the pipeline stops', { sink: sink.name, error: String(error) });
      // Not awaited: stopping flushes the partitions, and so waits for this write to end.
      void consumer.fail(error).catch(() => undefined);
    } finally {
      buffered -= count;
      if (buffered < settings.maxBufferedChanges) for (const wake of roomWaiters.splice(0)) wake();
    }
  }

  async function writeChunk(
    buffer: PartitionBuffer<TEvent>,
    chunk: readonly { readonly part: HandedOver<TEvent>; readonly index: number }[],
  ): Promise<void> {
    const changes = chunk.map(({ part, index }) => part.changes[index] as SinkChange<TEvent>);
    const last = changes[changes.length - 1] as SinkChange<TEvent>;
    const batch = {
      groupId,
      topic: buffer.topic,
      partition: buffer.partition,
      changes,
      nextOffset: String(Number(last.offset) + 1),
    };
    const started = performance.now();
    let rejected: readonly SinkRejection[] = [];
    for (let attempt = 1; ; attempt += 1) {
      try {
        rejected = (await sink.write(batch, { signal: stopping.signal }))?.rejected ?? [];
        break;
      } catch (error) {
        if (!isRetryable(error) || attempt > settings.retries || stopping.signal.aborted) throw error;
        counters.writeRetries += 1;
        logger.warn('sink write failed; retrying', { sink: sink.name, attempt, error: String(error) });
        if (sinkChannels.retry.hasSubscribers)
          sinkChannels.retry.publish({
            sink: sink.name,
            topic: buffer.topic,
            partition: buffer.partition,
            attempt,
            error,
          });
        await sleep(backoffDelayMs(attempt, settings.delays), stopping.signal);
      }
    }
    const refused = new Set<number>();
    for (const { index, error } of rejected) {
      const origin = chunk[index];
      if (origin === undefined || refused.has(index)) continue;
      refused.add(index);
      await origin.part.deadLetter(origin.index, error);
    }
    counters.written += changes.length - refused.size;
    counters.rejected += refused.size;
    if (sinkChannels.visible.hasSubscribers) {
      sinkChannels.visible.publish({
        sink: sink.name,
        groupId,
        topic: buffer.topic,
        partition: buffer.partition,
        visibleAt: Date.now(),
        writeMs: performance.now() - started,
        events: chunk
          .filter((_, index) => !refused.has(index))
          .map(({ part, index }) => {
            const change = part.changes[index] as SinkChange<TEvent>;
            const event = change.kind === 'upsert' ? change.event : undefined;
            return {
              offset: change.offset,
              eventTime: part.eventTimes[index] as number,
              eventId: change.kind === 'upsert' ? change.event.id : change.tombstone.id,
              traceparent: event?.traceparent,
              tracestate: event?.tracestate,
            };
          }),
        rejected: refused.size,
      });
    }
  }

  async function handOver(
    events: readonly ConsumedEvent<TTopics, 'deliver'>[],
    context: BatchHandlerContext<never>,
  ): Promise<void> {
    const buffer = bufferOf(context.topic, context.partition);
    const changes = events.map((event, index) => sinkChangeOf(event, context.offsets[index] as string));
    buffer.parts.push({
      changes,
      eventTimes: events.map((event) => event.eventTime.getTime()),
      bytes: context.bytes,
      release: context.holdCommit(),
      deadLetter: (index, error) => context.deadLetter(index, error),
    });
    buffer.changes += changes.length;
    buffer.bytes += context.bytes;
    buffered += changes.length;
    if (buffer.changes >= settings.maxBatch || buffer.bytes >= settings.maxBatchBytes) void flush(buffer);
    else buffer.timer ??= setTimeout(() => void flush(buffer), settings.lingerMs);
    // Backpressure: holding this call holds the partition's lane, and so the consumer's fetching.
    while (buffered >= settings.maxBufferedChanges && !stopping.signal.aborted) {
      await new Promise<void>((resolve) => roomWaiters.push(resolve));
    }
  }

  const consumer: InletConsumer = createConsumer({
    ...(consumerOptions as ConsumerPart<TTopics>),
    tombstones: 'deliver',
    handleBatch: handOver,
    ...(sink.storedOffsets === undefined
      ? {}
      : {
          onPartitionsAssigned: (partitions) =>
            (sink.storedOffsets as NonNullable<typeof sink.storedOffsets>)(groupId, partitions),
        }),
    onPartitionsRevoked: async (partitions, context) => {
      // Write what those partitions buffered, so that the final commit covers it.
      const writes = partitions.map(({ topic, partition }) => flush(bufferOf(topic, partition)));
      await Promise.race([
        Promise.all(writes),
        new Promise((resolve) => context.signal.addEventListener('abort', resolve)),
      ]);
      await consumerOptions.onPartitionsRevoked?.(partitions, context);
    },
  } as ConsumerOptions<TTopics, never, 'deliver'>);

  let closing: Promise<void> | undefined;
  const api: Pipeline = {
    start: () => consumer.start(),
    caughtUp: (waiting) => consumer.caughtUp(waiting),
    stats: () => ({ ...consumer.stats(), ...counters, buffered }),
    stopped: () => consumer.stopped(),
    close() {
      closing ??= (async () => {
        try {
          await consumer.close();
        } finally {
          stopping.abort();
          for (const wake of roomWaiters.splice(0)) wake();
          await Promise.allSettled([...buffers.values()].map((buffer) => buffer.writing));
          await sink.close();
        }
      })();
      return closing;
    },
    [Symbol.asyncDispose]: () => api.close(),
  };
  // A pipeline that stops by itself (a sink down past its retries) lets go of its sink too.
  void consumer.stopped().then((failure) => {
    if (failure !== undefined) void api.close();
  });
  return api;
}
