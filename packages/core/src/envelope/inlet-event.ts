import type { EventData, EventType } from '../events/define-event';
import type { TopicDefinition } from '../events/define-topic';
import type { EntityKey } from '../events/entity-key';

/**
 * An event with its envelope. On Kafka it travels as a CloudEvent in binary content mode: the
 * data is the record value, every envelope attribute a `ce_` header (see README).
 */
export interface InletEvent<TData = unknown, TType extends string = string> {
  /** Unique and time-sortable (UUIDv7). Duplicates of one event share it. */
  readonly id: string;
  readonly type: TType;
  /** The schema version the data was written with. */
  readonly version: number;
  /** The entity whose events stay in order; also the Kafka record key. */
  readonly key: EntityKey;
  /** When it happened. */
  readonly eventTime: Date;
  /** When the producer stamped it. */
  readonly producedAt: Date;
  /** Who produced it (CloudEvents `source`, a URI reference). */
  readonly source: string;
  /** W3C trace context of the operation that produced it. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** The entity's own version or sequence number, for ordering and staleness checks. */
  readonly entityVersion?: number;
  /** The application's own headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly data: TData;
}

/** The union of events a topic carries, discriminated by `type`. */
export type TopicEvent<TTopic> =
  TTopic extends TopicDefinition<infer TEvents>
    ? { [K in keyof TEvents]: InletEvent<EventData<TEvents[K]>, EventType<TEvents[K]>> }[number]
    : never;
