import { randomUUID } from 'node:crypto';
import {
  checkOptions,
  decodeEventRecord,
  type EntityKey,
  entityKeyFromBytes,
  entityKeyId,
  type IncomingRecord,
  InletError,
  type InletEvent,
  type KafkaTransport,
  option,
  required,
  type SchemaResolver,
  schemaIdOf,
  type TopicDefinition,
  type TopicEvent,
} from '@inlet/core';
import { untilAborted } from './abortable';
import { DigestedRows, type KeyedRow } from './digested-rows';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';
import type { ComparePlan, ReadProgress, ReconcileSide } from './reconcile-side';
import { columnsOf } from './snake-case';

export interface TopicSourceOptions<TTopic extends TopicDefinition> {
  /** A transport of yours (`createKafkaJsTransport`): reconciliation never closes it. */
  readonly transport: KafkaTransport;
  /** The topic, read from its first offset to the end it had when the read began. */
  readonly topic: TTopic;
  /** The registry, for values framed with schema ids. */
  readonly registry?: SchemaResolver;
  /** The compared key of an event. Default: `entityKeyId(event.key)`, as the sinks store it. */
  readonly key?: (event: TopicEvent<TTopic>) => string;
  /** The compared row of an event. Default: its data's top-level properties in snake_case, as the sinks derive columns. */
  readonly value?: (event: TopicEvent<TTopic>) => Readonly<Record<string, unknown>>;
  /** Default `isolation: 'read_committed'`. */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
}

const topicSourceShape = {
  transport: required(option.methods('a Kafka transport', ['consumer', 'admin'])),
  topic: required(option.methods('a topic definition (defineTopic)', ['find', 'latest', 'types'])),
  registry: option.methods('a schema resolver', ['writerCodecFor', 'cachedWriterCodecFor']),
  key: option.function('a function (event) => string'),
  value: option.function('a function (event) => the compared row'),
  isolation: option.oneOf(['read_committed', 'read_uncommitted']),
};

/** An entity's newest state while folding: its version, and its row (undefined once deleted). */
interface FoldedEntity {
  readonly version: number | undefined;
  readonly row: KeyedRow | undefined;
}

/** Newer or equal versions win (the later of equal ones), as the sinks' version guard lets them. */
function isNotOlder(candidate: number | undefined, current: number | undefined): boolean {
  return candidate === undefined || current === undefined || candidate >= current;
}

function tombstoneVersion(record: IncomingRecord): number | undefined {
  const header = record.headers.ce_entityversion;
  const text = header === null || header === undefined ? undefined : header.toString('utf8');
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/**
 * A topic read from the beginning, folded to each key's newest version as an upsert sink would
 * fold it (the newest entity version wins; a tombstone deletes). Read by a consumer group of its
 * own (`inlet-reconcile-<uuid>`, which commits nothing and is deleted after), up to the end
 * offsets the topic had when the read began.
 */
export function topicSource<const TTopic extends TopicDefinition>(
  options: TopicSourceOptions<TTopic>,
): ReconcileSide {
  checkOptions('topic reconcile source', options, topicSourceShape);
  const { transport, topic, registry } = options;
  const keyOf =
    (options.key as ((event: InletEvent) => string) | undefined) ?? ((event) => entityKeyId(event.key));
  const rowOf =
    (options.value as ((event: InletEvent) => Readonly<Record<string, unknown>>) | undefined) ??
    ((event: InletEvent) => columnsOf((event.data ?? {}) as Record<string, unknown>));
  const description = `topic:${topic.name}`;
  let rows: DigestedRows | undefined;
  // What `columns()` read, kept for the `prepare()` of the same run (same signal) only.
  let preloaded: { readonly signal: AbortSignal; readonly rows: DigestedRows } | undefined;

  const decode = async (record: IncomingRecord): Promise<InletEvent> => {
    const schemaId = registry === undefined ? undefined : schemaIdOf(record);
    if (registry !== undefined && schemaId !== undefined) await registry.writerCodecFor(schemaId);
    try {
      return decodeEventRecord(
        record,
        topic,
        registry === undefined ? {} : { writerCodecForSchemaId: (id) => registry.cachedWriterCodecFor(id) },
      );
    } catch (error) {
      throw reconcileError(
        ReconcileErrorCode.undecodableRecord,
        `${description}: the record at ${record.partition}@${record.offset} cannot be decoded: ${(error as Error).message}`,
        error,
      );
    }
  };

  const fold = async (records: readonly IncomingRecord[], entities: Map<string, FoldedEntity>) => {
    for (const record of records) {
      if (record.value === null) {
        if (record.key === null || record.key.length === 0) continue;
        const key = entityKeyId(entityKeyFromBytes(record.key) as EntityKey);
        const version = tombstoneVersion(record);
        const current = entities.get(key);
        if (current === undefined || isNotOlder(version, current.version))
          entities.set(key, { version: version ?? current?.version, row: undefined });
        continue;
      }
      const event = await decode(record);
      const key = keyOf(event);
      const current = entities.get(key);
      if (current === undefined || isNotOlder(event.entityVersion, current.version))
        entities.set(key, {
          version: event.entityVersion ?? current?.version,
          row: { key, values: rowOf(event) },
        });
    }
  };

  const load = async (signal: AbortSignal, onRead: ReadProgress | undefined): Promise<DigestedRows> => {
    const admin = transport.admin();
    const ends = new Map<number, bigint>();
    // Where each partition's reading is, from its first offset: the progress in offsets.
    const positions = new Map<number, { readonly low: bigint; at: bigint }>();
    for (const { partition, low, high } of await untilAborted(
      admin.topicOffsets(topic.name),
      signal,
      `reading ${description}`,
    )) {
      if (BigInt(high) <= BigInt(low)) continue;
      ends.set(partition, BigInt(high));
      positions.set(partition, { low: BigInt(low), at: BigInt(low) });
    }
    let total = 0n;
    for (const [partition, end] of ends) total += end - (positions.get(partition)?.low ?? end);
    const reportRead = () => {
      let done = 0n;
      for (const { low, at } of positions.values()) done += at - low;
      onRead?.(Number(done), Number(total));
    };
    reportRead();
    const entities = new Map<string, FoldedEntity>();
    if (ends.size > 0) {
      const groupId = `inlet-reconcile-${randomUUID()}`;
      const consumer = transport.consumer({
        groupId,
        autoOffsetReset: 'earliest',
        isolation: options.isolation ?? 'read_committed',
      });
      let failure: unknown;
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const remaining = new Set(ends.keys());
      // Partitions are folded in turn: one key lives in one partition, so order within it is enough.
      let folding = Promise.resolve();
      try {
        await consumer.connect();
        await consumer.subscribe([topic.name]);
        await consumer.run({
          onBatch: async (batch) => {
            const end = ends.get(batch.partition);
            if (end === undefined || !remaining.has(batch.partition)) return;
            const records = batch.records.filter((record) => BigInt(record.offset) < end);
            folding = folding.then(() => fold(records, entities));
            try {
              await folding;
            } catch (error) {
              failure ??= error;
              finish();
              return;
            }
            const position = positions.get(batch.partition);
            if (position !== undefined) {
              const next = BigInt(batch.nextOffset);
              position.at = next < end ? next : end;
              reportRead();
            }
            if (BigInt(batch.nextOffset) >= end) {
              remaining.delete(batch.partition);
              if (remaining.size === 0) finish();
            }
          },
          onError: (error, fatal) => {
            if (fatal) {
              failure ??= error;
              finish();
            }
          },
        });
        await untilAborted(finished, signal, `reading ${description}`);
      } finally {
        await consumer.close().catch(() => {});
        await admin.deleteGroup(groupId).catch(() => {});
      }
      if (failure !== undefined)
        throw InletError.is(failure)
          ? failure
          : reconcileError(ReconcileErrorCode.undecodableRecord, String(failure), failure);
    }
    const kept: KeyedRow[] = [];
    for (const entity of entities.values()) if (entity.row !== undefined) kept.push(entity.row);
    return new DigestedRows(kept);
  };

  return {
    description,
    async columns(signal, onRead) {
      const loaded = await load(signal, onRead);
      preloaded = { signal, rows: loaded };
      return loaded.columns();
    },
    async prepare(plan: ComparePlan) {
      rows = preloaded?.signal === plan.signal ? preloaded.rows : await load(plan.signal, plan.onRead);
      preloaded = undefined;
    },
    async summarise(plan) {
      return (rows as DigestedRows).summarise(plan);
    },
    async digestsIn(plan, buckets) {
      return (rows as DigestedRows).digestsIn(plan, buckets);
    },
  };
}
