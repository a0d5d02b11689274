import { type EntityKey, entityKeyId, type InletEvent } from '@inlet/core';
import type { Sink, SinkChange, SinkRejection } from './sink';

/** What a keyed sink holds for one entity. */
export interface StoredEntity<TEvent> {
  readonly key: EntityKey;
  readonly entityVersion: number | undefined;
  /** The last event upserted, or undefined once deleted. */
  readonly event: TEvent | undefined;
  readonly deleted: boolean;
}

export interface MemorySinkOptions<TEvent> {
  /** For tests of failure handling: a reason to refuse a change for good, or undefined. */
  readonly refuse?: (change: SinkChange<TEvent>) => unknown;
}

export interface MemorySink<TEvent> extends Sink<TEvent> {
  /** The entities, by `entityKeyId` of their key. */
  readonly entities: ReadonlyMap<string, StoredEntity<TEvent>>;
  /** Changes applied (an older version skipped is not one). */
  readonly applied: number;
  /** The offset to resume each partition from, as an exactly-once sink stores it. */
  readonly offsets: ReadonlyMap<string, string>;
}

/**
 * A keyed sink in this process: the reference the contract suite checks itself against, and a
 * sink for tests. It keeps per entity its newest state, by entity version: an older version never
 * overwrites a newer one, a delete keeps its version (so that a late, older update cannot bring
 * the entity back), and changes without a version apply in order. It stores the offsets it has
 * written to, as an exactly-once sink does.
 */
export function createMemorySink<TEvent extends InletEvent = InletEvent>(
  options: MemorySinkOptions<TEvent> = {},
): MemorySink<TEvent> {
  const entities = new Map<string, StoredEntity<TEvent>>();
  const offsets = new Map<string, string>();
  let applied = 0;
  const sink: MemorySink<TEvent> = {
    name: 'memory',
    entities,
    offsets,
    get applied() {
      return applied;
    },
    async write(batch) {
      const rejected: SinkRejection[] = [];
      batch.changes.forEach((change, index) => {
        const reason = options.refuse?.(change);
        if (reason !== undefined) {
          rejected.push({ index, error: reason });
          return;
        }
        const id = entityKeyId(change.key);
        const current = entities.get(id);
        if (
          current?.entityVersion !== undefined &&
          change.entityVersion !== undefined &&
          change.entityVersion < current.entityVersion
        )
          return;
        applied += 1;
        entities.set(id, {
          key: change.key,
          entityVersion: change.entityVersion ?? current?.entityVersion,
          event: change.kind === 'upsert' ? change.event : undefined,
          deleted: change.kind === 'delete',
        });
      });
      offsets.set(`${batch.groupId}\u0000${batch.topic}\u0000${batch.partition}`, batch.nextOffset);
      return { rejected };
    },
    async storedOffsets(groupId, partitions) {
      return partitions.flatMap(({ topic, partition }) => {
        const offset = offsets.get(`${groupId}\u0000${topic}\u0000${partition}`);
        return offset === undefined ? [] : [{ topic, partition, offset }];
      });
    },
    async close() {},
  };
  return sink;
}
