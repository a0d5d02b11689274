import type { InletError, RawRecord } from '../errors';

/**
 * The Kafka transport port: the one narrow interface every Inlet package uses instead of a Kafka
 * client. Implementations honour it with the same observable behaviour, checked by one contract
 * suite (`@inlet/core/transport-contract`): `createKafkaJsTransport` in `@inlet/kafkajs` (a real
 * cluster, through kafkajs) and `createInMemoryBackbone` in `@inlet/backbone` (an in-process
 * model of Kafka for local runs and tests).
 *
 * Offsets are decimal strings (Kafka offsets are 64-bit). A committed offset is the offset of the
 * next record to read, as in Kafka.
 */
export interface KafkaTransport {
  /**
   * The implementation's name, for logs and diagnostics: `'kafkajs'`, `'in-memory'`, or whatever
   * a transport of your own calls itself. Nothing in Inlet behaves differently by it.
   */
  readonly kind: string;
  producer(options?: TransportProducerOptions): TransportProducer;
  consumer(options: TransportConsumerOptions): TransportConsumer;
  admin(): TransportAdmin;
  /** Closes every producer, consumer and admin made by this transport. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: string;
}

/** A partition of a new assignment. */
export interface AssignedPartition extends TopicPartition {
  /** Not owned by this member before this assignment. */
  readonly isNew: boolean;
}

/** A header value to send: bytes, or text, which is sent as its UTF-8 bytes. */
export type OutgoingHeaderValue = Buffer | string;

/**
 * Headers to send, by name; an array sends the name once per value, in order. A null value cannot
 * be sent: Kafka allows one, but kafkajs 2.2.4 cannot encode it (tulios/kafkajs#1789), so both
 * transports refuse it, as they refuse text with a lone surrogate (UTF-8 cannot carry it), with
 * INLET_KAFKA_INVALID_RECORD naming the header, before anything is sent.
 */
export type OutgoingHeaders = Readonly<Record<string, OutgoingHeaderValue | readonly OutgoingHeaderValue[]>>;

/** Received headers by name: the last value of a repeated name; null for a header with no value. */
export type IncomingHeaders = RawRecord['headers'];

export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: OutgoingHeaders;
  /** The Kafka record timestamp (ms since the epoch); the send time when absent. */
  readonly timestamp?: number;
  /**
   * An explicit partition. When absent, keyed records go to `murmur2(key) % partitions`, exactly
   * as the Java client and librdkafka's `murmur2_random` place them.
   */
  readonly partition?: number;
}

/** Where one sent record landed. `acks[i]` belongs to `records[i]`. With acks 0 the offset is `-1`. */
export interface RecordAck extends TopicPartitionOffset {}

export interface TransportProducerOptions {
  /** Idempotent writes (no duplicates from the client's own retries). Default true. */
  readonly idempotent?: boolean;
  /** Makes the producer transactional; required for `transaction()`. */
  readonly transactionalId?: string;
  /** Transaction timeout on the broker. Default 60 000 ms. */
  readonly transactionTimeoutMs?: number;
  /** -1 (all in-sync replicas, the default), 1 (leader) or 0 (none). Idempotence needs -1. */
  readonly acks?: -1 | 0 | 1;
  readonly compression?: 'none' | 'gzip';
  /** Broker-side timeout for one produce request. Default 30 000 ms. */
  readonly requestTimeoutMs?: number;
}

export interface SendOptions {
  readonly signal?: AbortSignal;
}

export interface TransportProducer {
  connect(): Promise<void>;
  /**
   * Sends records and resolves once every one is acknowledged, with one ack per record in order.
   * Records of one partition keep their order. Connects on first use.
   */
  send(records: readonly OutgoingRecord[], options?: SendOptions): Promise<RecordAck[]>;
  /** Begins a transaction (the producer must have a `transactionalId`). One at a time. */
  transaction(): Promise<TransportTransaction>;
  /** Partitions of a topic, from cached metadata (refreshed when the topic is unknown). */
  partitionCount(topic: string): Promise<number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TransportTransaction {
  send(records: readonly OutgoingRecord[], options?: SendOptions): Promise<RecordAck[]>;
  /** Commits consumer offsets as part of this transaction (consume-transform-produce). */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  readonly isActive: boolean;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export interface TransportConsumerOptions {
  readonly groupId: string;
  /** Default `read_committed`: records of open or aborted transactions are never delivered. */
  readonly isolation?: IsolationLevel;
  /** Where a group with no committed offset starts. Default `earliest`. */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /** Default 30 000 ms; a member silent for longer is removed from the group. */
  readonly sessionTimeoutMs?: number;
  /** Default 3 000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Default 60 000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /** Upper bound for one partition's fetched bytes. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** How long a fetch waits for data. Default 500 ms. */
  readonly maxWaitTimeMs?: number;
  /** How many partitions' batches may be handled at once. Default 1. */
  readonly partitionsConsumedConcurrently?: number;
}

/** A record as fetched; the same shape kept on decode errors. */
export interface IncomingRecord extends RawRecord {}

/**
 * What one fetch of one partition returned. A fetch covers an offset range that can hold more than
 * the records delivered: transaction markers (each takes an offset, as in Kafka) and, under
 * read_committed, records of aborted transactions are never delivered. A fetch that covered only
 * such offsets is delivered as a batch with no records, so that its owner can move past them.
 */
export interface IncomingBatch extends TopicPartition {
  readonly records: readonly IncomingRecord[];
  /** The partition's high watermark when fetched (for lag). */
  readonly highWatermark: string;
  /**
   * One past the last offset the fetch covered, markers and skipped records included: where the
   * partition's next fetch starts, and the offset to commit once every record of the batch is
   * done. At least one past the last record's offset.
   */
  readonly nextOffset: string;
}

export interface BatchControls {
  /** Tells the group this member is alive; call during long work. */
  heartbeat(): Promise<void>;
  /** True once the partition was revoked or sought: finish quickly and commit nothing past it. */
  isStale(): boolean;
}

export interface ConsumerHandlers {
  /**
   * Receives each fetched batch of one partition, in offset order, including batches with no
   * records (a fetch that covered only transaction markers or aborted records). The partition's next batch is
   * fetched only after the returned promise settles; nothing is committed unless `commit` is
   * called. A rejection is reported to `onError` and the same records are delivered again.
   * After any rebalance every owned partition restarts from its committed offset, so whatever
   * was delivered but not committed is delivered again. `controls.isStale()` turns true when
   * the partition is sought, revoked, or a heartbeat finds the group rebalancing.
   */
  onBatch(batch: IncomingBatch, controls: BatchControls): Promise<void>;
  /**
   * A rebalance began: every partition may be about to move. Informational: the transport does
   * not wait for it (kafkajs cannot), so commit progress as work completes, not here.
   */
  onRebalancing?(): void;
  /** The group settled; `assignment` is everything this member now owns. */
  onAssigned?(assignment: readonly TopicPartition[]): void;
  /** Partitions this member owned before the last rebalance and no longer does. */
  onRevoked?(revoked: readonly TopicPartition[]): void;
  /**
   * The partitions of a new assignment, before anything is fetched from them: resolves with the
   * offsets to start some of them from (a sink's stored offsets, a state checkpoint); the others
   * start from their committed offset. Fetching those partitions waits for it. It is called with
   * every partition of each new assignment, since after a rebalance every owned partition restarts
   * from its committed offset; `isNew` says which were not owned before. Called before
   * `onAssigned`. A rejection is reported to `onError` and the partitions start from their
   * committed offsets.
   */
  onPartitionsAssigned?(
    partitions: readonly AssignedPartition[],
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing starts every partition from its commit
  ): Promise<readonly TopicPartitionOffset[] | undefined | void>;
  /**
   * The partitions this member is about to give up, so that their owner can flush, checkpoint
   * and commit before they move: called when a rebalance begins (with every owned partition: the
   * group rebalances eagerly) and when the consumer closes. Another member is assigned them only
   * after this was called. The in-memory backbone waits for it to settle (up to the rebalance
   * timeout) before its member rejoins; kafkajs cannot hold its rejoin, so there the hook runs
   * while the member rejoins and a commit it makes may come too late (the next owner then resumes
   * from the last commit that landed, or from what its assignment hook returns).
   */
  onPartitionsRevoking?(partitions: readonly TopicPartition[]): Promise<void>;
  /** An error the consumer recovered from, or (when `fatal`) one that stopped it. */
  onError?(error: InletError, fatal: boolean): void;
}

export interface TransportConsumer {
  connect(): Promise<void>;
  /** Topics to read; call before `run`. */
  subscribe(topics: readonly string[]): Promise<void>;
  /** Joins the group and starts fetching; resolves once the loop is running. */
  run(handlers: ConsumerHandlers): Promise<void>;
  /** Commits offsets (each the next offset to read). Fails while the group is rebalancing. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Stops fetching these partitions until `resume`; in-flight batches still complete. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  paused(): TopicPartition[];
  /** Moves the fetch position of an assigned partition. */
  seek(position: TopicPartitionOffset): void;
  /** The partitions this member owns now. */
  assignment(): TopicPartition[];
  /** Stops fetching, waits for in-flight batches, leaves the group. Commits nothing by itself. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** The first offset still in the log. */
  readonly low: string;
  /**
   * One past the last record a read_committed consumer can read: the last stable offset (equal
   * to the high watermark when no transaction is open). Lag is `high - committed`.
   */
  readonly high: string;
}

export interface GroupMemberDescription {
  readonly memberId: string;
  readonly clientId: string;
  readonly assignment: readonly TopicPartition[];
}

export interface GroupDescription {
  readonly groupId: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead. */
  readonly state: string;
  readonly members: readonly GroupMemberDescription[];
}

export interface TransportAdmin {
  connect(): Promise<void>;
  /** Creates topics that do not exist yet; resolves with the names actually created. */
  createTopics(topics: readonly TopicSpec[]): Promise<string[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  partitionCount(topic: string): Promise<number>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * Per partition, the first offset whose record timestamp is at or after `timestamp`, or `high`
   * (the last stable offset) when there is none.
   */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]>;
  /** Committed offsets of a group for a topic; `-1` where nothing is committed. */
  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** Overwrites a group's committed offsets; the group must have no active members. */
  setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  deleteGroup(groupId: string): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
