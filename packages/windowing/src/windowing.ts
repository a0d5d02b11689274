import { channel } from 'node:diagnostics_channel';
import {
  type BatchHandlerContext,
  type CaughtUpOptions,
  type ConsumerOptions,
  type ConsumerStats,
  createConsumer,
  type InletConsumer,
} from '@inlet/consumer';
import {
  type ContentMode,
  checkOptions,
  entityKeyId,
  InletError,
  InletErrorCode,
  type InletEvent,
  type InletLogger,
  type KafkaTransport,
  type OutgoingRecord,
  option,
  required,
  silentLogger,
  type TopicDefinition,
  type TopicEvent,
  type TopicPartitionOffset,
  type TransportProducer,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import type { Sink, SinkChange } from '@inlet/sinks';
import type { Aggregation } from './aggregations';
import {
  type Checkpoint,
  changelogRecords,
  changelogTopicName,
  claimPartition,
  ensureChangelog,
  restorePartitions,
} from './changelog';
import type { WindowKind } from './window-kinds';
import {
  type EmitMode,
  type LateEvent,
  type QuietStreamRule,
  type SplitKey,
  type WindowBounds,
  type WindowInput,
  WindowOperator,
  type WindowOperatorStats,
  type WindowOutput,
} from './window-operator';
import { outputRecord, resultEvent, resultKey, type WindowResultEvent } from './window-results';
import { WindowingErrorCode } from './windowing-error-code';

type ConsumerPart<TTopics extends readonly TopicDefinition[]> = Omit<
  ConsumerOptions<TTopics, never, 'dead-letter'>,
  | 'handle'
  | 'handleBatch'
  | 'tombstones'
  | 'dedup'
  | 'versionGate'
  | 'transactionalDedup'
  | 'onPartitionsAssigned'
  | 'onPartitionsRevoked'
>;

export type WindowResultData = (typeof WindowResultEvent)['__data'] & object;

/** Where results go. Each is written before the state that emitted them is checkpointed. */
export type WindowingOutput<TResult> =
  /**
   * Results as `inlet.window.result` events, sent as they are emitted (at least once: a result sent
   * again after a crash has the same id and revision). `transactional: true` sends them in the
   * checkpoint's transaction instead, with the state and the input offset: exactly once for a
   * read_committed reader, visible at the checkpoint (within `emitIntervalMs`). `contentMode`
   * (default `binary`, as the producer writes): `structured` sends each result as one JSON
   * CloudEvent with a single header, which costs kafkajs a quarter as much per result.
   */
  | { readonly topic: string; readonly transactional?: boolean; readonly contentMode?: ContentMode }
  /** Results as keyed upserts (retractions as deletes) into a sink of `@inlet/sinks`. */
  | { readonly sink: Sink<InletEvent<WindowResultData, 'inlet.window.result'>> }
  /** Results to a function of yours; it must be idempotent (after a crash results come again). */
  | { readonly onResults: (outputs: readonly WindowOutput<TResult>[]) => Promise<void> | void };

export type WindowingLatePolicy<TEvent> =
  | 'drop'
  | 'update'
  | { readonly policy: 'drop' }
  | {
      readonly policy: 'side-output';
      /** Late events (the reason in headers) to this topic (in the checkpoint's transaction with a transactional topic output). */
      readonly topic?: string;
      /** …and/or to this function, before the checkpoint. */
      readonly onLate?: (late: readonly LateEvent<TEvent>[]) => Promise<void> | void;
    }
  | { readonly policy: 'update'; readonly retainMs?: number };

export interface WindowingOptions<TTopics extends readonly TopicDefinition[], TResult>
  extends ConsumerPart<TTopics> {
  /** Names the changelog topics and transactional ids. Default: `groupId`. */
  readonly name?: string;
  readonly window: WindowKind;
  // biome-ignore lint/suspicious/noExplicitAny: the accumulator and value are the aggregation's own
  readonly aggregation: Aggregation<TopicEvent<TTopics[number]>, any, any, TResult>;
  /**
   * The window key. Default: the entity key. Windows are kept per input partition, so events of
   * one window key must share a partition: key by something the records are partitioned by.
   */
  readonly key?: (event: TopicEvent<TTopics[number]>) => string;
  /** Default: the envelope's event time. */
  readonly eventTime?: (event: TopicEvent<TTopics[number]>) => number;
  readonly outOfOrdernessMs?: number;
  readonly graceMs?: number;
  readonly idleTimeoutMs?: number;
  readonly quiet?: QuietStreamRule;
  readonly late?: WindowingLatePolicy<TopicEvent<TTopics[number]>>;
  readonly emit?: EmitMode;
  readonly output?: WindowingOutput<TResult>;
  readonly changelog?: {
    /** Default `<name>-<input topic>-changelog`. */
    readonly topic?: (inputTopic: string) => string;
    readonly replicationFactor?: number;
  };
  /**
   * How often state is checkpointed. Default 5 000 ms. Longer: fewer changelog writes (a key
   * changed many times between two checkpoints is written once), commits further behind.
   */
  readonly checkpointIntervalMs?: number;
  /**
   * Results (and late events for a side output) wait at most this long for the checkpoint that
   * emits them: a partition's checkpoints are at least this far apart. Default 100 ms.
   */
  readonly emitIntervalMs?: number;
  /** How often idleness and the quiet-stream rule are checked. Default 1 000 ms. */
  readonly tickMs?: number;
  /** Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Windows are kept per input partition, so a key must come in one partition only. By default
   * a key that comes in a second partition this instance owns stops the windowing with
   * `INLET_WINDOWING_KEY_IN_TWO_PARTITIONS` (its results would collide downstream); `false`
   * turns the check off. Default `true`.
   */
  readonly checkKeyPartitions?: boolean;
}

export interface WindowingStats extends WindowOperatorStats {
  readonly consumer: ConsumerStats;
  /** Checkpoints committed (one Kafka transaction each). */
  readonly checkpoints: number;
  readonly changelogRecords: number;
  /** Partitions restored from the changelog, records read, and the time it took. */
  readonly restored: { readonly partitions: number; readonly records: number; readonly ms: number };
  /** Results the sink refused (logged; the window's next revision may land). */
  readonly refusedResults: number;
  /**
   * Partitions taken back after another instance claimed them while this one owned them (a
   * member acting on an assignment it learnt of late); see the README's restore.
   */
  readonly reclaimed: number;
}

export interface Windowing<TResult> {
  start(): Promise<void>;
  /**
   * Resolves once everything in the partitions at the call is taken and its state checkpointed
   * (checkpointing at once what waits, rather than at the interval).
   */
  caughtUp(options?: CaughtUpOptions): Promise<void>;
  stats(): WindowingStats;
  /** A key's windows from this instance's partitions (an interactive query). */
  query(key: string): (WindowBounds & { value: TResult; events: number; closed: boolean })[];
  /**
   * Sliding windows: the aggregate of a key's events in `(at − size, at]`. Default `at`: now.
   * Throws `INLET_WINDOWING_QUERY_BEYOND_STATE` when that range reaches before what the state
   * still holds (see the README's interactive queries).
   */
  recent(key: string, at?: number): { value: TResult; events: number } | undefined;
  /** Bytes of this instance's state as the changelog holds it (walks every key: for sizing, not hot paths). */
  stateBytes(): number;
  stopped(): Promise<InletError | undefined>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const windowingChannels = {
  late: 'inlet:windowing:late',
  restored: 'inlet:windowing:restored',
  checkpoint: 'inlet:windowing:checkpoint',
} as const;

const lateChannel = channel(windowingChannels.late);
const restoredChannel = channel(windowingChannels.restored);
const checkpointChannel = channel(windowingChannels.checkpoint);

/** One owned input partition: its producer, what waits for the next checkpoint, its position. */
interface PartitionTask<TEvent, TResult> {
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly changelogTopic: string;
  /** Transactional, with the partition's id: replaced when the partition is taken back. */
  producer: TransportProducer;
  /** Changelog keys the next checkpoint removes: left by another instance's claim, not held here. */
  tombstones: string[];
  nextOffset: string | undefined;
  /** Where the partition's last fetch ended (past skipped records and transaction markers). */
  fetchedTo: string | undefined;
  holds: (() => void)[];
  outputs: WindowOutput<TResult>[];
  late: LateEvent<TEvent>[];
  lastCheckpoint: number;
  /** Results and late events handed to the output, in order; a checkpoint waits for them. */
  delivering: Promise<void>;
  deliveryFailure: unknown;
  flushing: Promise<void>;
  /** A checkpoint waits to start behind {@link checkpointing}. */
  flushQueued: boolean;
  /** A checkpoint is being written. */
  checkpointing: boolean;
  /** The consumer is giving the partition up (a rebalance began): a fence now means it has moved. */
  revoking: boolean;
  lost: boolean;
}

const windowingShape = {
  name: option.nonEmptyString(),
  window: required(option.custom('a window (tumbling, hopping, sliding or session)', isWindowKind)),
  aggregation: required(option.methods('an aggregation', ['input', 'init', 'add', 'result'])),
  key: option.function('a function (event) => string'),
  eventTime: option.function('a function (event) => number'),
  outOfOrdernessMs: option.integer({ min: 0 }),
  graceMs: option.integer({ min: 0 }),
  idleTimeoutMs: option.integer({ min: 1 }),
  quiet: option.object({
    afterMs: required(option.integer({ min: 1 })),
    maxDelayMs: option.integer({ min: 0 }),
  }),
  late: option.custom("'drop', 'update' or { policy: 'drop' | 'side-output' | 'update', … }", isLatePolicy),
  emit: option.oneOf(['final', 'update']),
  output: option.custom(
    "{ topic, transactional?, contentMode?: 'binary' | 'structured' } | { sink } | { onResults }",
    isOutput,
  ),
  changelog: option.object({
    topic: option.function('a function (inputTopic) => string'),
    replicationFactor: option.integer({ min: 1 }),
  }),
  checkpointIntervalMs: option.integer({ min: 1 }),
  emitIntervalMs: option.integer({ min: 0 }),
  tickMs: option.integer({ min: 1 }),
  clock: option.function('a function () => number'),
  checkKeyPartitions: option.boolean(),
};

function isWindowKind(value: unknown): boolean {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'tumbling' || kind === 'hopping' || kind === 'sliding' || kind === 'session';
}

function isLatePolicy(value: unknown): boolean {
  if (value === 'drop' || value === 'update') return true;
  const policy = (value as { policy?: unknown } | null)?.policy;
  return policy === 'drop' || policy === 'side-output' || policy === 'update';
}

function isOutput(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const given = value as Record<string, unknown>;
  if (typeof given.topic === 'string') {
    return (
      (given.transactional === undefined || typeof given.transactional === 'boolean') &&
      (given.contentMode === undefined ||
        given.contentMode === 'binary' ||
        given.contentMode === 'structured')
    );
  }
  return typeof given.sink === 'object' || typeof given.onResults === 'function';
}

/**
 * A checkpoint can hold many keys: sent in requests of at most this many bytes, since the broker
 * refuses a record batch above its `message.max.bytes` (1 MiB by default). One transaction still.
 */
const maxRequestBytes = 512 * 1024;
/**
 * And of at most this many records: kafkajs 2.2.4 groups a request's records by partition by
 * copying the partition's list for every record, which costs the square of the records per
 * partition (3 300 results to one partition: 5.4M copies and 40 MB of garbage).
 */
const maxRequestRecords = 1000;

function recordBytes(record: OutgoingRecord): number {
  let bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0) + 64;
  for (const name in record.headers) {
    const value = record.headers[name];
    bytes +=
      name.length + (typeof value === 'string' ? value.length : Buffer.isBuffer(value) ? value.length : 64);
  }
  return bytes;
}

function* recordChunks(records: readonly OutgoingRecord[]): Generator<OutgoingRecord[]> {
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (chunk.length > 0 && (bytes + size > maxRequestBytes || chunk.length === maxRequestRecords)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

const defaults = {
  checkpointIntervalMs: 5_000,
  emitIntervalMs: 100,
  tickMs: 1_000,
  retainMs: 3_600_000,
} as const;

/**
 * Windowed aggregation of topics: a consumer whose events go through the window operator, whose
 * state is checkpointed per partition to a compacted changelog topic (one Kafka transaction per
 * checkpoint, with the input offset it covers and any results for a topic), and restored from it
 * when a partition is assigned, so results after a crash or a rebalance equal results without.
 * Input offsets commit only once the checkpoint covering them is durable.
 */
export function createWindowing<const TTopics extends readonly TopicDefinition[], TResult>(
  options: WindowingOptions<TTopics, TResult>,
): Windowing<TResult> {
  type TEvent = TopicEvent<TTopics[number]>;
  const {
    name: givenName,
    window,
    aggregation,
    key: keyOption,
    eventTime: eventTimeOption,
    outOfOrdernessMs,
    graceMs,
    idleTimeoutMs,
    quiet,
    late: lateOption,
    emit,
    output,
    changelog,
    checkpointIntervalMs,
    emitIntervalMs,
    tickMs,
    clock: clockOption,
    checkKeyPartitions,
    ...consumerOptions
  } = options;
  const given = options as unknown as Record<string, unknown>;
  checkOptions(
    'windowing',
    Object.fromEntries(Object.keys(windowingShape).map((name) => [name, given[name]])),
    windowingShape,
  );
  for (const refused of ['dedup', 'versionGate'] as const) {
    if (given[refused] !== undefined) {
      throw new InletError(
        InletErrorCode.invalidOption,
        `windowing: ${refused} is not an option here — copies of an event (same id) are recognised by the window state itself, checkpointed with it`,
      );
    }
  }
  const name = givenName ?? options.groupId;
  const logger: InletLogger = options.logger ?? silentLogger;
  const clock = clockOption ?? Date.now;
  const settings = {
    checkpointIntervalMs: checkpointIntervalMs ?? defaults.checkpointIntervalMs,
    emitIntervalMs: emitIntervalMs ?? defaults.emitIntervalMs,
    tickMs: tickMs ?? defaults.tickMs,
  };
  const late =
    lateOption === undefined || lateOption === 'drop'
      ? ({ policy: 'drop' } as const)
      : lateOption === 'update'
        ? ({ policy: 'update', retainMs: defaults.retainMs } as const)
        : lateOption;
  const operator = new WindowOperator<TEvent, TResult>({
    window,
    aggregation,
    ...(outOfOrdernessMs === undefined ? {} : { outOfOrdernessMs }),
    ...(graceMs === undefined ? {} : { graceMs }),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    ...(quiet === undefined ? {} : { quiet }),
    ...(emit === undefined ? {} : { emit }),
    late:
      late.policy === 'update'
        ? { policy: 'update', retainMs: late.retainMs ?? defaults.retainMs }
        : { policy: late.policy },
    clock,
  });
  const keyOf = keyOption ?? ((event: TEvent) => entityKeyId(event.key));
  const timeOf = eventTimeOption ?? ((event: TEvent) => event.eventTime.getTime());
  const ownsTransport = options.transport === undefined;
  const transport: KafkaTransport =
    options.transport ??
    createKafkaJsTransport({ ...options.connection, brokers: options.brokers as readonly string[], logger });
  const changelogOf = (topic: string) => changelog?.topic?.(topic) ?? changelogTopicName(name, topic);
  const tasks = new Map<string, PartitionTask<TEvent, TResult>>();
  const transactionalOutput = output !== undefined && 'topic' in output && output.transactional === true;
  let resultsProducer: TransportProducer | undefined;
  const counters = { checkpoints: 0, changelogRecords: 0, refusedResults: 0, reclaimed: 0 };
  const restoredTotals = { partitions: 0, records: 0, ms: 0 };
  let consumer: InletConsumer | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let quietOffsets: Promise<void> | undefined;
  let assigning: Promise<unknown> = Promise.resolve();

  function failWith(error: unknown): void {
    const failure = InletError.is(error)
      ? error
      : new InletError(InletErrorCode.handlerFailed, `windowing ${name} failed: ${String(error)}`, {
          cause: error,
        });
    logger.error('windowing stopped', { name, error: failure.message });
    void consumer?.fail(failure).catch(() => undefined);
  }

  function isFenced(error: unknown): boolean {
    return InletError.is(error) && /fenc/i.test(`${error.code} ${error.message}`);
  }

  function route(): void {
    const touched = new Set<PartitionTask<TEvent, TResult>>();
    for (const outputItem of operator.takeOutputs()) {
      const task = tasks.get(outputItem.partition);
      if (task === undefined) continue;
      task.outputs.push(outputItem);
      touched.add(task);
    }
    for (const lateEvent of operator.takeLateEvents()) {
      if (lateChannel.hasSubscribers) lateChannel.publish({ name, ...lateEvent });
      if (late.policy !== 'side-output') continue;
      const task = tasks.get(lateEvent.partition);
      if (task === undefined) continue;
      task.late.push(lateEvent);
      touched.add(task);
    }
    if (!transactionalOutput) for (const task of touched) deliver(task);
  }

  /** Hands a partition's results and late events to the output now, after those before them. */
  function deliver(task: PartitionTask<TEvent, TResult>): void {
    const outputs = task.outputs;
    const lateEvents = task.late;
    task.outputs = [];
    task.late = [];
    task.delivering = task.delivering.then(async () => {
      if (task.deliveryFailure !== undefined || task.lost) return;
      try {
        await withRetries(() => writeOutputs(task, outputs, lateEvents));
      } catch (error) {
        task.deliveryFailure = error;
        failWith(error);
      }
    });
  }

  async function withRetries(work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        const retryable = !InletError.is(error) || error.retryable;
        if (!retryable || attempt >= 5 || closing !== undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  }

  async function writeOutputs(
    task: PartitionTask<TEvent, TResult>,
    outputs: readonly WindowOutput<TResult>[],
    lateEvents: readonly LateEvent<TEvent>[],
  ): Promise<void> {
    await writeToSink(task, outputs);
    if (output !== undefined && 'onResults' in output && outputs.length > 0) await output.onResults(outputs);
    if (late.policy === 'side-output' && late.onLate !== undefined && lateEvents.length > 0)
      await late.onLate(lateEvents);
    const records: OutgoingRecord[] = [];
    if (output !== undefined && 'topic' in output) {
      for (const item of outputs) records.push(outputRecord(output.topic, name, item, output.contentMode));
    }
    if (late.policy === 'side-output' && late.topic !== undefined) {
      for (const lateEvent of lateEvents) records.push(sideOutputRecord(late.topic, lateEvent));
    }
    if (records.length === 0) return;
    resultsProducer ??= transport.producer();
    for (const chunk of recordChunks(records)) await resultsProducer.send(chunk);
  }

  function sideOutputRecord(topic: string, lateEvent: LateEvent<TEvent>): OutgoingRecord {
    const event = lateEvent.event as InletEvent;
    return {
      topic,
      key: Buffer.from(lateEvent.key, 'utf8'),
      value: Buffer.from(
        JSON.stringify({
          id: event.id,
          type: event.type,
          key: lateEvent.key,
          eventTime: new Date(lateEvent.time).toISOString(),
          data: event.data,
          watermark: lateEvent.watermark,
          windows: lateEvent.windows,
          reason: lateEvent.reason,
        }),
        'utf8',
      ),
      headers: { 'inlet-late-reason': lateEvent.reason, 'inlet-late-source-partition': lateEvent.partition },
      timestamp: lateEvent.time,
    };
  }

  async function writeToSink(
    task: PartitionTask<TEvent, TResult>,
    outputs: readonly WindowOutput<TResult>[],
  ): Promise<void> {
    if (output === undefined || !('sink' in output) || outputs.length === 0) return;
    const offset = task.nextOffset ?? '0';
    const changes: SinkChange<InletEvent<WindowResultData, 'inlet.window.result'>>[] = outputs.map((item) => {
      const key = resultKey(item.key, item.start, item.end);
      if (item.type === 'result') {
        return { kind: 'upsert', event: resultEvent(name, item), key, entityVersion: item.revision, offset };
      }
      return {
        kind: 'delete',
        key,
        entityVersion: item.revision,
        offset,
        tombstone: {
          tombstone: true,
          id: `${name}/${key}#${item.revision}`,
          key,
          entityVersion: item.revision,
          eventTime: new Date(item.end),
          type: 'inlet.window.result',
          headers: {},
        },
      };
    });
    const result = await output.sink.write(
      { groupId: options.groupId, topic: task.topic, partition: task.partition, changes, nextOffset: offset },
      { signal: AbortSignal.timeout(60_000) },
    );
    for (const rejection of result?.rejected ?? []) {
      counters.refusedResults++;
      logger.error('sink refused a window result', {
        name,
        key: changes[rejection.index]?.key,
        error: String(rejection.error),
      });
    }
  }

  async function checkpoint(task: PartitionTask<TEvent, TResult>): Promise<void> {
    if (task.lost || !operator.owns(task.id)) return;
    const changes = operator.takeChanges(task.id);
    // The offset the taken state covers: batches handled while this checkpoint waits are not in it.
    const offset = task.nextOffset ?? '0';
    const outputs = task.outputs;
    const lateEvents = task.late;
    const holds = task.holds;
    task.outputs = [];
    task.late = [];
    task.holds = [];
    if (changes.keys.length === 0 && outputs.length === 0 && lateEvents.length === 0 && holds.length === 0)
      return;
    task.lastCheckpoint = clock();
    const tombstones = task.tombstones;
    task.tombstones = [];
    /** A checkpoint that did not commit gives back what it took, for the next one to carry. */
    const giveBack = () => {
      task.outputs = [...outputs, ...task.outputs];
      task.late = [...lateEvents, ...task.late];
      task.holds = [...holds, ...task.holds];
      task.tombstones = [...tombstones, ...task.tombstones];
    };
    // What the state says was emitted must be out before the state says so.
    await task.delivering;
    if (task.deliveryFailure !== undefined) {
      giveBack();
      throw task.deliveryFailure;
    }
    // Dropped meanwhile: results it waited for may have been skipped, so the state must not say
    // they were emitted. The next owner goes on from the last checkpoint.
    if (task.lost) return;
    const records = changelogRecords(
      task.changelogTopic,
      task.partition,
      tombstones.length === 0
        ? changes
        : { ...changes, keys: [...tombstones.map((key) => [key, null] as const), ...changes.keys] },
      offset,
    );
    if (transactionalOutput && output !== undefined && 'topic' in output) {
      for (const item of outputs) records.push(outputRecord(output.topic, name, item, output.contentMode));
      if (late.policy === 'side-output' && late.topic !== undefined) {
        for (const lateEvent of lateEvents) records.push(sideOutputRecord(late.topic, lateEvent));
      }
    }
    if (
      transactionalOutput &&
      late.policy === 'side-output' &&
      late.onLate !== undefined &&
      lateEvents.length > 0
    ) {
      await late.onLate(lateEvents);
    }
    try {
      const transaction = await task.producer.transaction();
      try {
        for (const chunk of recordChunks(records)) await transaction.send(chunk);
        await transaction.commit();
      } catch (error) {
        if (transaction.isActive) await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      // The changes taken are written again: a partition taken back rewrites all its keys.
      giveBack();
      throw error;
    }
    counters.checkpoints++;
    counters.changelogRecords += changes.keys.length + 1;
    if (checkpointChannel.hasSubscribers) {
      checkpointChannel.publish({
        name,
        partition: task.id,
        keys: changes.keys.length,
        results: outputs.length,
        offset,
      });
    }
    for (const release of holds) release();
  }

  /** Queues a checkpoint of the partition after the one in flight (at most one waits). */
  function scheduleCheckpoint(task: PartitionTask<TEvent, TResult>): Promise<void> {
    if (task.flushQueued) return task.flushing;
    task.flushQueued = true;
    task.flushing = task.flushing.then(async () => {
      task.flushQueued = false;
      task.checkpointing = true;
      try {
        await checkpoint(task);
      } catch (error) {
        if (isFenced(error) && (task.lost || task.revoking || tasks.get(task.id) !== task)) {
          // Another instance claimed the partition it was given: its state is theirs now.
          logger.warn('partition taken over by another instance', { name, partition: task.id });
          dropTask(task);
          return;
        }
        if (isFenced(error)) {
          await reclaim(task).catch(failWith);
          return;
        }
        failWith(error);
      } finally {
        task.checkpointing = false;
      }
    });
    return task.flushing;
  }

  /**
   * Another instance claimed a partition this one owns: a member whose assignment hook ran for a
   * generation kafkajs had already left (the group moved on while it restored). This instance
   * still owns the partition, and its state is right for its input position (the operator is
   * deterministic over the partition's events in order), so it claims the partition back
   * (fencing the other), and its next checkpoint writes every key it holds and removes the keys
   * the other left that it does not hold: the changelog is its state again.
   */
  async function reclaim(task: PartitionTask<TEvent, TResult>): Promise<void> {
    counters.reclaimed++;
    logger.warn('partition claimed by another instance while this one owns it: claiming it back', {
      name,
      partition: task.id,
    });
    await task.producer.close().catch(() => undefined);
    task.producer = transport.producer({ transactionalId: transactionalIdOf(task.topic, task.partition) });
    const barrier = await claimPartition(task.producer, task.changelogTopic, task.partition);
    const restored = await restorePartitions(
      transport,
      task.changelogTopic,
      new Map([[task.partition, barrier]]),
      {
        groupPrefix: name,
      },
    );
    if (task.lost || !operator.owns(task.id)) return;
    const held = operator.markAllChanged(task.id);
    const left = [...(restored.get(task.partition)?.keys.keys() ?? [])].filter((key) => !held.has(key));
    task.tombstones = [...left, ...task.tombstones];
    task.lastCheckpoint = Number.NEGATIVE_INFINITY;
  }

  function transactionalIdOf(topic: string, partition: number): string {
    return `${name}-${topic}-${partition}`;
  }

  function dropTask(task: PartitionTask<TEvent, TResult>): void {
    task.lost = true;
    tasks.delete(task.id);
    operator.revoke(task.id);
    void task.producer.close().catch(() => undefined);
  }

  function checkpointDue(): Promise<void>[] {
    const now = clock();
    const waits: Promise<void>[] = [];
    for (const task of tasks.values()) {
      const since = now - task.lastCheckpoint;
      const emitting = transactionalOutput && (task.outputs.length > 0 || task.late.length > 0);
      if (
        (emitting && since >= settings.emitIntervalMs) ||
        (task.holds.length > 0 && since >= settings.checkpointIntervalMs)
      ) {
        waits.push(scheduleCheckpoint(task));
      } else if (emitting) {
        armEmitTimer(settings.emitIntervalMs - since);
      }
    }
    return waits;
  }

  let emitTimer: NodeJS.Timeout | undefined;
  function armEmitTimer(delayMs: number): void {
    if (emitTimer !== undefined || closing !== undefined) return;
    emitTimer = setTimeout(
      () => {
        emitTimer = undefined;
        void Promise.all(checkpointDue());
      },
      Math.max(1, delayMs),
    );
  }

  async function handleBatch(events: readonly TEvent[], context: BatchHandlerContext): Promise<void> {
    const task = tasks.get(`${context.topic}:${context.partition}`);
    if (task === undefined || task.lost) {
      throw new InletError(
        InletErrorCode.closed,
        `partition ${context.topic}:${context.partition} is not owned`,
        { retryable: true },
      );
    }
    const inputs: WindowInput<TEvent>[] = [];
    const indexes: number[] = [];
    const refused: { index: number; error: unknown }[] = [];
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as TEvent;
      try {
        inputs.push({ key: keyOf(event), time: timeOf(event), event, id: event.id });
        indexes.push(index);
      } catch (error) {
        refused.push({ index, error });
      }
    }
    for (const { index, error } of operator.process(task.id, inputs))
      refused.push({ index: indexes[index] as number, error });
    const split = operator.takeSplitKeys();
    if (split.length > 0 && checkKeyPartitions !== false) {
      const [{ key, partitions }] = split as [SplitKey, ...SplitKey[]];
      const error = new InletError(
        WindowingErrorCode.keyInTwoPartitions,
        `windowing ${name}: key ${JSON.stringify(key)} came in ${partitions[1]} while ${partitions[0]} holds its windows (${split.length} such key${split.length === 1 ? '' : 's'} in this batch). Windows are kept per input partition: partition the input by the window key (re-key it into a topic partitioned by it), or make every producer place keys alike (murmur2, as the Java client and Inlet do)`,
      );
      failWith(error);
      throw error;
    }
    const last = context.offsets[context.offsets.length - 1];
    if (last !== undefined) task.nextOffset = (BigInt(last) + 1n).toString();
    task.fetchedTo = context.fetchEnd;
    operator.setCaughtUp(task.id, BigInt(context.fetchEnd) >= BigInt(context.highWatermark));
    // Routed before anything awaits: a checkpoint taking the state now must find its results.
    route();
    for (const { index, error } of refused) await context.deadLetter(index, error);
    task.holds.push(context.holdCommit());
    const writing = task.checkpointing;
    const waits = checkpointDue();
    // Backpressure: when a checkpoint is due while the one before is still being written, wait.
    // A checkpoint that starts now is written while the next batches are handled (a wait here
    // would hold every partition's fetch for the length of its transaction).
    if (writing && task.flushQueued) await Promise.all(waits);
  }

  async function refreshCaughtUp(): Promise<void> {
    const admin = transport.admin();
    try {
      for (const topic of new Set([...tasks.values()].map((task) => task.topic))) {
        for (const { partition, high } of await admin.topicOffsets(topic)) {
          const task = tasks.get(`${topic}:${partition}`);
          if (task === undefined) continue;
          operator.setCaughtUp(
            task.id,
            (task.fetchedTo ?? task.nextOffset) !== undefined &&
              BigInt((task.fetchedTo ?? task.nextOffset) as string) >= BigInt(high),
          );
        }
      }
    } finally {
      await admin.close();
    }
  }

  function tick(): void {
    if (quiet !== undefined && quietOffsets === undefined) {
      quietOffsets = refreshCaughtUp()
        .catch((error: unknown) =>
          logger.warn('could not read partition ends', { name, error: String(error) }),
        )
        .finally(() => {
          quietOffsets = undefined;
        });
    }
    operator.tick();
    route();
    void Promise.all(checkpointDue());
  }

  async function assignPartitions(
    partitions: readonly { readonly topic: string; readonly partition: number; readonly isNew: boolean }[],
    signal: AbortSignal,
  ): Promise<TopicPartitionOffset[]> {
    const wanted = new Set(partitions.map(({ topic, partition }) => `${topic}:${partition}`));
    for (const task of [...tasks.values()]) {
      if (!wanted.has(task.id)) {
        await task.flushing;
        dropTask(task);
      }
    }
    const starts: TopicPartitionOffset[] = [];
    const claims = new Map<string, Map<number, { task: PartitionTask<TEvent, TResult>; barrier: string }>>();
    for (const { topic, partition } of partitions) {
      const id = `${topic}:${partition}`;
      const kept = tasks.get(id);
      if (kept !== undefined && !kept.lost) {
        await kept.flushing;
        if (await stillOwned(kept)) {
          kept.revoking = false;
          if (kept.nextOffset !== undefined) starts.push({ topic, partition, offset: kept.nextOffset });
          continue;
        }
        // Another instance owned it in a generation this member did not see: its state is in
        // the changelog, restored below as for a partition that is new here.
        dropTask(kept);
      }
      const changelogTopic = changelogOf(topic);
      const producer = transport.producer({ transactionalId: transactionalIdOf(topic, partition) });
      const barrier = await claimPartition(producer, changelogTopic, partition);
      const task: PartitionTask<TEvent, TResult> = {
        id,
        topic,
        partition,
        changelogTopic,
        producer,
        nextOffset: undefined,
        fetchedTo: undefined,
        holds: [],
        outputs: [],
        late: [],
        tombstones: [],
        lastCheckpoint: clock(),
        delivering: Promise.resolve(),
        deliveryFailure: undefined,
        flushing: Promise.resolve(),
        flushQueued: false,
        checkpointing: false,
        revoking: false,
        lost: false,
      };
      let byTopic = claims.get(changelogTopic);
      if (byTopic === undefined) {
        byTopic = new Map();
        claims.set(changelogTopic, byTopic);
      }
      byTopic.set(partition, { task, barrier });
    }
    for (const [changelogTopic, claimed] of claims) {
      const began = performance.now();
      const restored = await restorePartitions(
        transport,
        changelogTopic,
        new Map([...claimed].map(([partition, { barrier }]) => [partition, barrier])),
        { groupPrefix: name, signal },
      );
      let records = 0;
      for (const [partition, { task }] of claimed) {
        const state = restored.get(partition);
        const found: Checkpoint | undefined = state?.checkpoint;
        records += state?.records ?? 0;
        operator.assign(task.id, {
          keys: state?.keys ?? new Map(),
          time: { maxEventTime: found?.maxEventTime ?? null, watermark: found?.watermark ?? null },
        });
        if (found !== undefined) {
          task.nextOffset = found.offset;
          starts.push({ topic: task.topic, partition, offset: found.offset });
        }
        tasks.set(task.id, task);
      }
      const ms = performance.now() - began;
      restoredTotals.partitions += claimed.size;
      restoredTotals.records += records;
      restoredTotals.ms += ms;
      if (restoredChannel.hasSubscribers)
        restoredChannel.publish({ name, changelogTopic, partitions: [...claimed.keys()], records, ms });
      logger.info('windowing state restored', {
        name,
        changelogTopic,
        partitions: [...claimed.keys()],
        records,
        ms: Math.round(ms),
      });
    }
    return starts;
  }

  /**
   * Whether a partition kept across a rebalance was not claimed by another instance meanwhile:
   * kafkajs can leave a generation without this member seeing it (it rejoins before its sync),
   * while another member was given the partition in it. A barrier on the partition's producer
   * commits only while nobody fenced it.
   */
  async function stillOwned(task: PartitionTask<TEvent, TResult>): Promise<boolean> {
    try {
      await claimPartition(task.producer, task.changelogTopic, task.partition);
      return true;
    } catch (error) {
      if (isFenced(error)) return false;
      throw error;
    }
  }

  async function revokePartitions(
    partitions: readonly { readonly topic: string; readonly partition: number }[],
  ): Promise<void> {
    await Promise.all(
      partitions.map(({ topic, partition }) => {
        const task = tasks.get(`${topic}:${partition}`);
        if (task === undefined) return Promise.resolve();
        task.revoking = true;
        return scheduleCheckpoint(task);
      }),
    );
  }

  consumer = createConsumer({
    ...(consumerOptions as unknown as ConsumerOptions<TTopics, never, 'dead-letter'>),
    ...(ownsTransport ? { transport, brokers: undefined, connection: undefined } : {}),
    // Copies are recognised by the window state itself (ids kept with each key and checkpointed
    // with it): a dedup store apart from the state could remember an event the restored state
    // does not hold, or forget one it does.
    dedup: false,
    handleBatch: handleBatch as never,
    onPartitionsAssigned: (partitions, { signal }) => {
      // The transports start the hook of a new assignment without waiting for the hook of the one
      // before (on kafkajs, a join can come while a restore runs): one at a time, so that each sees
      // the tasks the one before made, and drops those it was not given.
      const assigned = assigning.then(() => assignPartitions(partitions, signal));
      assigning = assigned.catch(() => undefined);
      return assigned;
    },
    onPartitionsRevoked: (partitions) => revokePartitions(partitions),
  } as ConsumerOptions<TTopics, never, 'dead-letter'>);
  const windowedConsumer = consumer;

  async function ensureTopics(): Promise<void> {
    const admin = transport.admin();
    const inputs: [string, number][] = [];
    try {
      for (const topic of options.topics) inputs.push([topic.name, await admin.partitionCount(topic.name)]);
      const extra = [
        ...(output !== undefined && 'topic' in output ? [output.topic] : []),
        ...(late.policy === 'side-output' && late.topic !== undefined ? [late.topic] : []),
      ];
      const existing = await admin.listTopics();
      const missing = extra.filter((topic) => !existing.includes(topic));
      if (missing.length > 0) {
        await admin.createTopics(
          missing.map((topic) => ({ topic, partitions: (inputs[0] as [string, number])[1] })),
        );
      }
    } finally {
      await admin.close();
    }
    for (const [topic, partitions] of inputs) {
      await ensureChangelog(transport, changelogOf(topic), partitions, changelog?.replicationFactor);
    }
  }

  function shutdown(): Promise<void> {
    closing ??= (async () => {
      if (ticker !== undefined) clearInterval(ticker);
      if (emitTimer !== undefined) clearTimeout(emitTimer);
      try {
        await windowedConsumer.close();
      } finally {
        await Promise.all([...tasks.values()].map((task) => task.flushing.catch(() => undefined)));
        for (const task of [...tasks.values()]) dropTask(task);
        await resultsProducer?.close().catch(() => undefined);
        if (output !== undefined && 'sink' in output) await output.sink.close().catch(() => undefined);
        if (ownsTransport) await transport.close();
      }
    })();
    return closing;
  }

  return {
    async start() {
      await ensureTopics();
      await windowedConsumer.start();
      ticker ??= setInterval(tick, settings.tickMs);
      ticker.unref();
    },
    async caughtUp(waiting) {
      // Commits wait for checkpoints: while waiting, checkpoint whatever holds them at once.
      const forcing = setInterval(() => {
        for (const task of tasks.values()) if (task.holds.length > 0) void scheduleCheckpoint(task);
      }, 50);
      try {
        await windowedConsumer.caughtUp(waiting);
      } finally {
        clearInterval(forcing);
      }
      await Promise.all([...tasks.values()].map((task) => Promise.all([task.delivering, task.flushing])));
    },
    stats() {
      return {
        ...operator.stats(),
        consumer: windowedConsumer.stats(),
        checkpoints: counters.checkpoints,
        changelogRecords: counters.changelogRecords,
        restored: { ...restoredTotals },
        refusedResults: counters.refusedResults,
        reclaimed: counters.reclaimed,
      };
    },
    query: (key) => operator.query(key),
    recent: (key, at) => operator.recent(key, at ?? clock()),
    stateBytes: () => operator.stateBytes(),
    stopped: () => windowedConsumer.stopped(),
    close: shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
