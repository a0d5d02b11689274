import { isTombstone, type Tombstone } from '@inlet/consumer';
import { entityKeyId, type InletEvent } from '@inlet/core';
import type { SinkChange } from './sink';

/** The change an event or a tombstone the consumer delivered stands for. */
export function sinkChangeOf<TEvent extends InletEvent>(
  consumed: TEvent | Tombstone,
  offset: string,
): SinkChange<TEvent> {
  if (isTombstone(consumed)) {
    return {
      kind: 'delete',
      tombstone: consumed,
      key: consumed.key,
      entityVersion: consumed.entityVersion,
      offset,
    };
  }
  return {
    kind: 'upsert',
    event: consumed,
    key: consumed.key,
    entityVersion: consumed.entityVersion,
    offset,
  };
}

/**
 * The changes that decide each key's final state: per key the one with the highest entity
 * version (the latest of equal ones, or the latest at all for changes without a version), in
 * offset order. A keyed sink writes these only, so that within one batch, too, an older version
 * never overwrites a newer one, and a statement never touches a row twice.
 */
export function newestPerKey<TEvent>(changes: readonly SinkChange<TEvent>[]): SinkChange<TEvent>[] {
  const newest = new Map<string, { readonly change: SinkChange<TEvent>; readonly index: number }>();
  changes.forEach((change, index) => {
    const id = entityKeyId(change.key);
    const current = newest.get(id);
    if (current === undefined || isNotOlder(change, current.change)) newest.set(id, { change, index });
  });
  return [...newest.values()].sort((a, b) => a.index - b.index).map(({ change }) => change);
}

function isNotOlder<TEvent>(candidate: SinkChange<TEvent>, current: SinkChange<TEvent>): boolean {
  if (candidate.entityVersion === undefined || current.entityVersion === undefined) return true;
  return candidate.entityVersion >= current.entityVersion;
}
