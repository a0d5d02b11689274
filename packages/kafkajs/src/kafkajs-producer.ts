import {
  forEachOutgoingHeader,
  InletError,
  InletErrorCode,
  InletKafkaError,
  missingTopicError,
  type OutgoingRecord,
  type RecordAck,
  ResourceLifecycle,
  resolveTransportProducerOptions,
  type SendOptions,
  type TopicPartitionOffset,
  type TransportProducer,
  type TransportProducerOptions,
  type TransportTransaction,
  throwIfAborted,
} from '@inlet/core';
import {
  type Admin,
  CompressionTypes,
  type ICustomPartitioner,
  type Kafka,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
  type Transaction,
} from 'kafkajs';
import { abortable } from './abortable';
import { classifyKafkaJsError, toInletError } from './classify-kafkajs-error';
import type { ConnectionRetryOptions } from './connection-options';
import { PartitionCountCache } from './partition-count-cache';
import { recordAcks } from './record-acks';
import { type PlacedRecord, placeRecords, RoundRobin } from './record-placement';
import { retryMetadata } from './retry-metadata';

type SendBatch = (batch: ProducerBatch) => Promise<RecordMetadata[]>;

/** Settings of the kafkajs transport that its producers follow. */
export interface KafkaJsProducerTopicOptions {
  /**
   * Create a topic that does not exist (with the broker's default partitions and replication)
   * before the first send to it, instead of failing. Inlet creates it itself, so the broker's
   * `auto.create.topics.enable` plays no part either way. Default false.
   */
  readonly autoCreateTopics?: boolean;
}

// Long enough for a topic just created to reach the broker asked (KRaft brokers learn of it
// within milliseconds; ensureTopics also waits for leaders), short enough to fail fast.
const unknownTopicGraceMs = 1_000;

// Inlet picks every partition itself; kafkajs only forwards the choice. When kafkajs's own
// metadata does not know the partition yet (it was just added), kafkajs would silently drop the
// record, so this throws the error kafkajs answers with a metadata refresh and a retry.
const explicitPartitioner: ICustomPartitioner =
  () =>
  ({ partitionMetadata, message }) => {
    const partition = message.partition as number;
    if (!partitionMetadata.some((metadata) => metadata.partitionId === partition)) {
      throw Object.assign(new Error(`no metadata for partition ${partition} yet`), {
        name: 'KafkaJSMetadataNotLoaded',
      });
    }
    return partition;
  };

function toMessage({ record, partition }: PlacedRecord): Message {
  const message: Message = { key: record.key, value: record.value, partition };
  // kafkajs takes the port's header map as is (an array value writes the name once per value) and
  // only reads it, so no copy; checkRecord has refused what kafkajs would mangle or throw on.
  if (record.headers !== undefined) message.headers = record.headers as NonNullable<Message['headers']>;
  if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
  return message;
}

function invalidRecord(index: number, problem: string, kafkaErrorType = 'INVALID_RECORD'): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaInvalidRecord,
    `record ${index}: ${problem}`,
    kafkaErrorType,
  );
}

// Caught here rather than by the broker: kafkajs would send NaN or a fractional partition as is.
function checkRecord(record: OutgoingRecord, index: number): void {
  if (typeof record.topic !== 'string' || record.topic === '') {
    throw invalidRecord(index, 'topic must be a non-empty string');
  }
  if (record.partition !== undefined && (!Number.isInteger(record.partition) || record.partition < 0)) {
    throw invalidRecord(index, 'partition must be a non-negative integer');
  }
  if (record.timestamp !== undefined && (!Number.isSafeInteger(record.timestamp) || record.timestamp < 0)) {
    throw invalidRecord(index, 'timestamp must be whole ms since the epoch', 'INVALID_TIMESTAMP');
  }
  forEachOutgoingHeader(record.headers, index, acceptHeader);
}

function acceptHeader(): void {}

function groupOffsetsByTopic(offsets: readonly TopicPartitionOffset[]) {
  const topics = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = topics.get(topic) ?? [];
    partitions.push({ partition, offset });
    topics.set(topic, partitions);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}

async function fetchPartitionCount(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const count = topics.find((metadata) => metadata.name === topic)?.partitions.length ?? 0;
  if (count === 0) {
    throw new InletKafkaError(
      InletErrorCode.kafkaUnknownTopic,
      `topic "${topic}" does not exist`,
      'UNKNOWN_TOPIC_OR_PARTITION',
      { retryable: true },
    );
  }
  return count;
}

/**
 * One kafkajs client and the requests it has under way. A client whose requests were abandoned
 * by their callers is retired: disconnected only once they have ended, since kafkajs waits for
 * pending requests when it disconnects, and a request still retrying after its client
 * disconnected would connect it again and keep its sockets open.
 */
class ClientSession<TClient extends { disconnect(): Promise<void> }> {
  readonly #requests = new Set<Promise<unknown>>();
  #retired: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  constructor(readonly client: TClient) {}

  /** Runs a request of this client; retiring waits for it. */
  track<T>(request: Promise<T>): Promise<T> {
    this.#requests.add(request);
    const ended = () => {
      this.#requests.delete(request);
      if (this.#requests.size === 0) this.#idle?.();
    };
    request.then(ended, ended);
    return request;
  }

  /** Disconnects as soon as the requests under way have ended; resolves once disconnected. */
  retire(): Promise<void> {
    this.#retired ??= (async () => {
      if (this.#requests.size > 0) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
        });
      }
      await this.client.disconnect().catch(() => undefined);
    })();
    return this.#retired;
  }
}

/** One kafkajs producer: one producer id, with its own sequence numbers. */
class ProducerSession extends ClientSession<Producer> {
  #connecting: Promise<void> | undefined;

  /** Connects once (again after a failure); the connection attempt counts as a request. */
  connect(): Promise<void> {
    if (this.#connecting === undefined) {
      const connecting = this.track(this.client.connect()).catch((error: unknown) => {
        if (this.#connecting === connecting) this.#connecting = undefined;
        throw error;
      });
      this.#connecting = connecting;
    }
    return this.#connecting;
  }
}

/**
 * An idempotent send whose outcome its caller does not know: under way, failed, or written after
 * the caller stopped waiting.
 */
interface UnsettledSend {
  readonly records: readonly OutgoingRecord[];
  readonly placed: PlacedRecord[];
  /** The broker's answer once the request has ended; undefined when it failed. Never rejects. */
  readonly outcome: Promise<RecordMetadata[] | undefined>;
}

type Placement =
  | { readonly placed: PlacedRecord[]; readonly written?: undefined }
  | { readonly placed: PlacedRecord[]; readonly written: RecordMetadata[] };

const noop = () => undefined;

/** Hooks into one send's progress, for the idempotent send queue. */
interface SendProgress {
  /** Called once the request is made. */
  readonly requested?: () => void;
  /** Called with the send itself (what its caller's wait is on). */
  readonly started?: (running: Promise<unknown>) => void;
}

/** Resolves when `signal` fires; its listener is removed once `until` settles. */
function whenAborted(signal: AbortSignal, until: Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void until.then(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A {@link TransportProducer} on a kafkajs producer; partitions are chosen by Inlet. */
export function createKafkaJsProducer(
  kafka: Kafka,
  retry: Required<ConnectionRetryOptions>,
  options: TransportProducerOptions = {},
  topicOptions: KafkaJsProducerTopicOptions = {},
): TransportProducer {
  const settings = resolveTransportProducerOptions(options);
  const autoCreateTopics = topicOptions.autoCreateTopics === true;
  const newKafkaJsProducer = () =>
    kafka.producer({
      createPartitioner: explicitPartitioner,
      allowAutoTopicCreation: false,
      idempotent: settings.idempotent,
      // kafkajs keeps idempotent sequence numbers in order only with one request in flight.
      ...(settings.idempotent ? { maxInFlightRequests: 1 } : {}),
      ...(settings.transactionalId === undefined
        ? {}
        : { transactionalId: settings.transactionalId, transactionTimeout: settings.transactionTimeoutMs }),
    });
  let session = new ProducerSession(newKafkaJsProducer());
  // kafkajs numbers an idempotent producer's records when it builds a request and moves the
  // numbers on only when the request succeeds. A send that failed may still have been written,
  // so a *different* batch sent next under the same numbers is taken by the broker for a retry of
  // it: acknowledged with the first batch's offsets and dropped. Hence, outside transactions:
  // one send at a time, and after a failure either the same records again (a true retry, which
  // the broker deduplicates) or a new producer id, as the Java client does when a batch expires.
  // A send whose caller stopped waiting (its signal fired: a delivery timeout, a close) is
  // unsettled too; the next send does not wait for its request, and goes under a new producer id
  // unless it is the same records, which wait for that request to end first.
  const guardsSequences = settings.idempotent && settings.transactionalId === undefined;
  let sendQueue: Promise<unknown> = Promise.resolve();
  let sendsAhead = 0;
  let unsettled: UnsettledSend | undefined;
  // Producers replaced by a new producer id, until their last request has ended.
  const retiring = new Set<Promise<void>>();
  // Sends still running, also those whose callers stopped waiting: close() lets them finish.
  const underway = new Set<Promise<unknown>>();
  const metadata = new ClientSession(kafka.admin());
  const lifecycle = new ResourceLifecycle('producer', { classifyError: toInletError });
  const partitionCounts = new PartitionCountCache((topic) => metadata.track(lookUpPartitionCount(topic)));
  const roundRobin = new RoundRobin();
  let transaction: Transaction | undefined;
  // Once fenced, kafkajs would go on sending outside transactions under its separate idempotent
  // producer id; like the Java client, Inlet treats a fenced producer as dead for every call.
  let fenced: InletError | undefined;

  async function guard<T>(work: () => Promise<T>): Promise<T> {
    if (fenced !== undefined) throw fenced;
    try {
      return await lifecycle.run(work);
    } catch (error) {
      if (InletError.hasCode(error, InletErrorCode.kafkaFenced)) fenced = error;
      throw error;
    }
  }

  const connect = () =>
    lifecycle.connect(async () => {
      await metadata.track(metadata.client.connect());
      await session.connect();
    });

  async function lookUpPartitionCount(topic: string): Promise<number> {
    const lookup = () => fetchPartitionCount(metadata.client, topic);
    try {
      // With auto-creation, creating at once is as good: a topic that does exist is not replaced.
      return await retryMetadata(lookup, retry, {
        unknownTopicGraceMs: autoCreateTopics ? 0 : unknownTopicGraceMs,
      });
    } catch (error) {
      if (!InletError.hasCode(error, InletErrorCode.kafkaUnknownTopic)) throw error;
      if (!autoCreateTopics) throw missingTopicError(topic, error);
      // The cluster's defaults, as the broker's own auto-creation would use; another client
      // creating it at the same moment is fine (kafkajs answers false).
      await metadata.client.createTopics({
        topics: [{ topic, numPartitions: -1, replicationFactor: -1 }],
        waitForLeaders: false,
      });
      return retryMetadata(lookup, retry);
    }
  }

  async function countsFor(records: readonly OutgoingRecord[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const topic of new Set(records.map((record) => record.topic))) {
      let count = await partitionCounts.get(topic);
      const highest = Math.max(...records.filter((r) => r.topic === topic).map((r) => r.partition ?? -1));
      if (highest >= count) count = await partitionCounts.refresh(topic);
      counts.set(topic, count);
    }
    return counts;
  }

  function renewProducerId(): void {
    const previous = session;
    session = new ProducerSession(newKafkaJsProducer());
    const retired = previous.retire();
    retiring.add(retired);
    void retired.then(() => retiring.delete(retired));
  }

  // Decides which records go where, and under which producer id, before the request is made.
  async function placeForSend(records: readonly OutgoingRecord[]): Promise<Placement> {
    if (!guardsSequences) return { placed: placeRecords(records, await countsFor(records), roundRobin) };
    const previous = unsettled;
    if (previous !== undefined && previous.records === records) {
      // kafkajs moves its sequence numbers back only once the request has failed; one that was
      // written after all is answered with its offsets, as the broker answers a duplicate.
      const written = await previous.outcome;
      if (unsettled === previous) unsettled = undefined;
      return written === undefined ? { placed: previous.placed } : { placed: previous.placed, written };
    }
    if (previous !== undefined) {
      renewProducerId();
      unsettled = undefined;
    }
    return { placed: placeRecords(records, await countsFor(records), roundRobin) };
  }

  async function sendWith(
    sendBatch: SendBatch | undefined,
    records: readonly OutgoingRecord[],
    signal: AbortSignal | undefined,
    onRequest: () => void = noop,
  ): Promise<RecordAck[]> {
    records.forEach(checkRecord);
    await connect();
    const { placed, written } = await placeForSend(records);
    if (written !== undefined) return recordAcks(placed, settings.acks === 0 ? undefined : written);
    const target = session;
    // A new producer id is connected by the first send that uses it.
    if (sendBatch === undefined) await target.connect();
    const topicMessages = new Map<string, Message[]>();
    for (const entry of placed) {
      const messages = topicMessages.get(entry.record.topic) ?? [];
      messages.push(toMessage(entry));
      topicMessages.set(entry.record.topic, messages);
    }
    const batch: ProducerBatch = {
      acks: settings.acks,
      timeout: settings.requestTimeoutMs,
      compression: settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      topicMessages: [...topicMessages].map(([topic, messages]) => ({ topic, messages })),
    };
    const request = target.track((sendBatch ?? ((next) => target.client.sendBatch(next)))(batch));
    // Marked before the answer: should the caller stop waiting, the next send must know.
    const pending: UnsettledSend | undefined = guardsSequences
      ? { records, placed, outcome: request.then((response) => response, noop) }
      : undefined;
    if (pending !== undefined) unsettled = pending;
    onRequest();
    try {
      const response = await request;
      // Written after its caller stopped waiting, it stays unsettled for that caller's retry.
      if (pending !== undefined && unsettled === pending && signal?.aborted !== true) unsettled = undefined;
      return recordAcks(placed, settings.acks === 0 ? undefined : response);
    } catch (error) {
      const classified = classifyKafkaJsError(error);
      if (classified.code === InletErrorCode.kafkaUnknownTopic) {
        for (const topic of topicMessages.keys()) partitionCounts.invalidate(topic);
      }
      throw classified;
    }
  }

  async function send(
    sendBatch: SendBatch | undefined,
    records: readonly OutgoingRecord[],
    sendOptions: SendOptions = {},
    progress: SendProgress = {},
  ): Promise<RecordAck[]> {
    lifecycle.assertOpen();
    throwIfAborted(sendOptions.signal, 'send');
    if (records.length === 0) return [];
    return guard(() => {
      const running = sendWith(sendBatch, records, sendOptions.signal, progress.requested);
      progress.started?.(running);
      underway.add(running);
      const ended = () => underway.delete(running);
      running.then(ended, ended);
      return abortable(running, sendOptions.signal, 'send');
    });
  }

  function wrapTransaction(active: Transaction): TransportTransaction {
    return {
      send: (records, sendOptions) => send((batch) => active.sendBatch(batch), records, sendOptions),
      sendOffsets: (groupId, offsets) =>
        guard(() => active.sendOffsets({ consumerGroupId: groupId, topics: groupOffsetsByTopic(offsets) })),
      commit: () => guard(() => active.commit()),
      abort: () => guard(() => active.abort()),
      get isActive() {
        return active.isActive();
      },
    };
  }

  return {
    connect,
    send(records, sendOptions) {
      if (!guardsSequences) return send(undefined, records, sendOptions);
      let requested: () => void = noop;
      const madeRequest = new Promise<void>((resolve) => {
        requested = resolve;
      });
      // Set as the send starts, before its caller's wait can settle.
      let running: Promise<unknown> | undefined;
      const started = (work: Promise<unknown>) => {
        running = work;
      };
      const sendNow = () => send(undefined, records, sendOptions, { requested, started });
      // Started at once when nothing is ahead of it, so a send under way stays under way even
      // if its caller stops waiting; one still queued when its signal fires is never sent.
      const queued = sendsAhead === 0 ? sendNow() : sendQueue.then(sendNow);
      // The send itself has ended (not only its caller's wait), or it never started.
      const ended: Promise<void> = queued.then(noop, noop).then(() => running?.then(noop, noop));
      sendsAhead += 1;
      // The next send goes when this one has ended, or when its caller stopped waiting and its
      // request is made (it then holds the old producer id alone) — never while it is still
      // connecting or placing its records, which would put two requests on one producer id.
      const signal = sendOptions?.signal;
      const released =
        signal === undefined
          ? ended
          : Promise.race([ended, Promise.all([madeRequest, whenAborted(signal, ended)])]);
      sendQueue = released.finally(() => {
        sendsAhead -= 1;
      });
      return abortable(queued, signal, 'send');
    },
    async transaction() {
      lifecycle.assertOpen();
      if (settings.transactionalId === undefined) {
        throw new InletError(
          InletErrorCode.invalidOption,
          'transaction() needs a producer made with a transactionalId',
        );
      }
      if (fenced !== undefined) throw fenced;
      if (transaction?.isActive()) {
        throw new InletError(
          InletErrorCode.invalidOption,
          'this producer already has an open transaction; commit or abort it before beginning another',
        );
      }
      await connect();
      transaction = await guard(() => session.track(session.client.transaction()));
      return wrapTransaction(transaction);
    },
    async partitionCount(topic) {
      lifecycle.assertOpen();
      await connect();
      return lifecycle.run(() => partitionCounts.get(topic));
    },
    // Also waits for requests whose callers stopped waiting: closing does not cut off a send
    // under way (kafkajs bounds each by requestTimeoutMs and its retries).
    close: () =>
      lifecycle.close(async () => {
        // An open transaction would hold back read_committed consumers until it times out.
        await Promise.allSettled([...underway]);
        if (transaction?.isActive()) await transaction.abort().catch(() => undefined);
        await Promise.all([session.retire(), metadata.retire(), ...retiring]);
      }),
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
