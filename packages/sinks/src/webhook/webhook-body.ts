import { entityKeyId, type InletEvent } from '@inlet/core';
import type { SinkBatch, SinkChange } from '../sink';

/** One change in the default body: an event, or a delete. */
export type WebhookChange =
  | {
      readonly id: string;
      readonly type: string;
      readonly key: string;
      readonly entityVersion: number | undefined;
      readonly time: string;
      readonly data: unknown;
    }
  | {
      readonly deleted: true;
      readonly id: string;
      readonly type: string | undefined;
      readonly key: string;
      readonly entityVersion: number | undefined;
      readonly time: string;
    };

/** The default request body: a partition's changes, in offset order. */
export interface WebhookBody {
  readonly topic: string;
  readonly partition: number;
  readonly events: readonly WebhookChange[];
}

function webhookChange<TEvent extends InletEvent>(change: SinkChange<TEvent>): WebhookChange {
  // Keys travel as text: byte keys that are not text as `\x` and their hex (entityKeyId).
  const key = entityKeyId(change.key);
  if (change.kind === 'delete') {
    const { tombstone } = change;
    return {
      deleted: true,
      id: tombstone.id,
      type: tombstone.type,
      key,
      entityVersion: change.entityVersion,
      time: tombstone.eventTime.toISOString(),
    };
  }
  const { event } = change;
  return {
    id: event.id,
    type: event.type,
    key,
    entityVersion: change.entityVersion,
    time: event.eventTime.toISOString(),
    data: event.data,
  };
}

export function defaultWebhookBody<TEvent extends InletEvent>(batch: SinkBatch<TEvent>): WebhookBody {
  return { topic: batch.topic, partition: batch.partition, events: batch.changes.map(webhookChange) };
}
