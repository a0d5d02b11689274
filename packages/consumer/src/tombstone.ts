import type { EntityKey, EventHeaders } from '@inlet/core';

/**
 * A record with a key and no value: its entity is deleted (a compacted topic's tombstone), or a
 * decoder's delete (a CDC delete). With `tombstones: 'deliver'` the handler receives these
 * besides events; they go through the same checks (dedup by `id`, the version gate by
 * `entityVersion`).
 */
export interface Tombstone {
  readonly tombstone: true;
  /** From `ce_id` when the record has one, else `<topic>/<partition>@<offset>`. */
  readonly id: string;
  readonly key: EntityKey;
  /** From `ce_entityversion` (or the decoder): a sink keeps it, so that an older update cannot bring the entity back. */
  readonly entityVersion?: number;
  /** From `ce_time`, else the record timestamp. */
  readonly eventTime: Date;
  /** The event type it deletes, from `ce_type` (or the decoder), when known. */
  readonly type?: string;
  readonly headers: EventHeaders;
}

/** True for a {@link Tombstone}, false for an event. */
export function isTombstone(value: unknown): value is Tombstone {
  return typeof value === 'object' && value !== null && (value as { tombstone?: unknown }).tombstone === true;
}

/** What tombstones (records without a value) become: dead letters (default), or handled deletes. */
export type TombstoneMode = 'dead-letter' | 'deliver';
