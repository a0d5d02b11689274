import type { EventData, EventType } from '../events/define-event';
import type { TopicDefinition } from '../events/define-topic';
import type { EntityKey } from '../events/entity-key';

/**
 * An application header value of an event: text when its bytes are UTF-8, otherwise the bytes;
 * null for a header with no value (other clients can write one; Inlet cannot, see the README).
 */
export type EventHeaderValue = string | Buffer | null;

/** An event's application headers by name; a name that occurs more than once has every value, in order. */
export type EventHeaders = Readonly<Record<string, EventHeaderValue | readonly EventHeaderValue[]>>;

/** Application headers an event can be sent with: text (sent as UTF-8) or bytes, one or several per name. */
export type OutgoingEventHeaders = Readonly<Record<string, string | Buffer | readonly (string | Buffer)[]>>;

/**
 * An event with its envelope. Inlet writes it as a CloudEvent in binary content mode: the data is
 * the record value, every envelope attribute a `ce_` header; it reads binary and structured mode
 * (see README).
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
  /** CloudEvents `subject`: what the event is about, within its source. */
  readonly subject?: string;
  /** CloudEvents `dataschema`: a URI naming the schema of the data. */
  readonly dataSchema?: string;
  /**
   * Every other CloudEvents extension attribute, by its (lower-case) name, as text: what another
   * producer set and Inlet has no field for. Written back as `ce_<name>` headers.
   */
  readonly extensions: Readonly<Record<string, string>>;
  /** The application's own headers (every header not `ce_*` or `content-type`). */
  readonly headers: EventHeaders;
  readonly data: TData;
}

/** The union of events a topic carries, discriminated by `type`. */
export type TopicEvent<TTopic> =
  TTopic extends TopicDefinition<infer TEvents>
    ? { [K in keyof TEvents]: InletEvent<EventData<TEvents[K]>, EventType<TEvents[K]>> }[number]
    : never;
