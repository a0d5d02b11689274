import {
  type Admin,
  CompressionTypes,
  type ICustomPartitioner,
  type Kafka,
  type Message,
  type ProducerBatch,
  type RecordMetadata,
  type Transaction,
} from 'kafkajs';
import { InletError, InletErrorCode, InletKafkaError, throwIfAborted } from '../../errors';
import type { ConnectionRetryOptions } from '../connection-options';
import { forEachOutgoingHeader } from '../record-headers';
import type {
  OutgoingRecord,
  RecordAck,
  SendOptions,
  TopicPartitionOffset,
  TransportProducer,
  TransportProducerOptions,
  TransportTransaction,
} from '../transport';
import { resolveProducerOptions } from '../transport-options';
import { abortable } from './abortable';
import { classifyKafkaJsError } from './classify-kafkajs-error';
import { PartitionCountCache } from './partition-count-cache';
import { recordAcks } from './record-acks';
import { type PlacedRecord, placeRecords, RoundRobin } from './record-placement';
import { ResourceLifecycle } from './resource-lifecycle';
import { retryMetadata } from './retry-metadata';

type SendBatch = (batch: ProducerBatch) => Promise<RecordMetadata[]>;

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

/** A {@link TransportProducer} on a kafkajs producer; partitions are chosen by Inlet. */
export function createKafkaJsProducer(
  kafka: Kafka,
  retry: Required<ConnectionRetryOptions>,
  options: TransportProducerOptions = {},
): TransportProducer {
  const settings = resolveProducerOptions(options);
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
  let producer = newKafkaJsProducer();
  // kafkajs numbers an idempotent producer's records when it builds a request and moves the
  // numbers on only when the request succeeds. A send that failed may still have been written,
  // so a *different* batch sent next under the same numbers is taken by the broker for a retry of
  // it: acknowledged with the first batch's offsets and dropped. Hence, outside transactions:
  // one send at a time, and after a failure either the same records again (a true retry, which
  // the broker deduplicates) or a new producer id, as the Java client does when a batch expires.
  const guardsSequences = settings.idempotent && settings.transactionalId === undefined;
  let sendQueue: Promise<unknown> = Promise.resolve();
  let sendsAhead = 0;
  let unsettled: { readonly records: readonly OutgoingRecord[]; readonly placed: PlacedRecord[] } | undefined;
  const metadata = kafka.admin();
  const lifecycle = new ResourceLifecycle('producer');
  const partitionCounts = new PartitionCountCache((topic) =>
    retryMetadata(() => fetchPartitionCount(metadata, topic), retry),
  );
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
      await metadata.connect();
      await producer.connect();
    });

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

  async function renewProducerId(): Promise<void> {
    const previous = producer;
    producer = newKafkaJsProducer();
    await previous.disconnect().catch(() => undefined);
    await producer.connect();
  }

  async function sendWith(sendBatch: SendBatch, records: readonly OutgoingRecord[]): Promise<RecordAck[]> {
    records.forEach(checkRecord);
    await connect();
    let placed: PlacedRecord[];
    if (guardsSequences && unsettled !== undefined && unsettled.records === records) {
      placed = unsettled.placed;
    } else {
      if (guardsSequences && unsettled !== undefined) {
        await renewProducerId();
        unsettled = undefined;
      }
      placed = placeRecords(records, await countsFor(records), roundRobin);
    }
    const topicMessages = new Map<string, Message[]>();
    for (const entry of placed) {
      const messages = topicMessages.get(entry.record.topic) ?? [];
      messages.push(toMessage(entry));
      topicMessages.set(entry.record.topic, messages);
    }
    try {
      const response = await sendBatch({
        acks: settings.acks,
        timeout: settings.requestTimeoutMs,
        compression: settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        topicMessages: [...topicMessages].map(([topic, messages]) => ({ topic, messages })),
      });
      if (guardsSequences) unsettled = undefined;
      return recordAcks(placed, settings.acks === 0 ? undefined : response);
    } catch (error) {
      if (guardsSequences) unsettled = { records, placed };
      const classified = classifyKafkaJsError(error);
      if (classified.code === InletErrorCode.kafkaUnknownTopic) {
        for (const topic of topicMessages.keys()) partitionCounts.invalidate(topic);
      }
      throw classified;
    }
  }

  async function send(
    sendBatch: SendBatch,
    records: readonly OutgoingRecord[],
    sendOptions: SendOptions = {},
  ): Promise<RecordAck[]> {
    lifecycle.assertOpen();
    throwIfAborted(sendOptions.signal, 'send');
    if (records.length === 0) return [];
    return abortable(
      guard(() => sendWith(sendBatch, records)),
      sendOptions.signal,
      'send',
    );
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
      const sendNow = () => send((batch) => producer.sendBatch(batch), records, sendOptions);
      if (!guardsSequences) return sendNow();
      // Started at once when nothing is ahead of it, so a send under way stays under way even
      // if its caller stops waiting; one still queued when its signal fires is never sent.
      const queued = sendsAhead === 0 ? sendNow() : sendQueue.then(sendNow);
      sendsAhead += 1;
      sendQueue = queued
        .catch(() => undefined)
        .finally(() => {
          sendsAhead -= 1;
        });
      return abortable(queued, sendOptions?.signal, 'send');
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
      transaction = await guard(() => producer.transaction());
      return wrapTransaction(transaction);
    },
    async partitionCount(topic) {
      lifecycle.assertOpen();
      await connect();
      return lifecycle.run(() => partitionCounts.get(topic));
    },
    close: () =>
      lifecycle.close(async () => {
        // An open transaction would hold back read_committed consumers until it times out.
        if (transaction?.isActive()) await transaction.abort().catch(() => undefined);
        await producer.disconnect();
        await metadata.disconnect();
      }),
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
