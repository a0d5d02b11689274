import { InletError, InletErrorCode } from '../errors';
import type { EventData, EventDefinition, EventType } from './define-event';

// biome-ignore lint/suspicious/noExplicitAny: definitions of any data type may share a topic.
export type AnyEventDefinition = EventDefinition<string, any>;

/** The event definitions that may appear on one topic, told apart by their type header. */
export interface TopicDefinition<
  TEvents extends readonly AnyEventDefinition[] = readonly AnyEventDefinition[],
> {
  readonly name: string;
  readonly events: TEvents;
  /** The definition of this type at this schema version. */
  find(type: string, version: number): TEvents[number] | undefined;
  /** The highest schema version known for a type. */
  latest(type: string): TEvents[number] | undefined;
  /** Every type on the topic. */
  types(): string[];
}

/** The union of event types a topic carries, e.g. `'order.placed' | 'order.cancelled'`. */
export type TopicEventType<TTopic> =
  TTopic extends TopicDefinition<infer TEvents> ? EventType<TEvents[number]> : never;

/** The data type of one event type on a topic. */
export type TopicEventData<TTopic, TType extends string> =
  TTopic extends TopicDefinition<infer TEvents>
    ? EventData<Extract<TEvents[number], EventDefinition<TType, unknown>>>
    : never;

// Kafka's own rule for topic names.
const topicNamePattern = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Declares a topic and the event definitions it carries: the one source of truth producers and
 * consumers share. Several types (and several versions of one type) may share a topic.
 *
 * ```ts
 * const orders = defineTopic({ name: 'orders', events: [OrderPlaced, OrderCancelled] });
 * ```
 */
export function defineTopic<const TEvents extends readonly AnyEventDefinition[]>(input: {
  readonly name: string;
  readonly events: TEvents;
}): TopicDefinition<TEvents> {
  const { name, events } = input;
  if (!topicNamePattern.test(name) || name === '.' || name === '..') {
    throw new InletError(
      InletErrorCode.invalidDefinition,
      `topic name ${JSON.stringify(name)} is not a valid Kafka topic name`,
    );
  }
  if (events.length === 0) {
    throw new InletError(
      InletErrorCode.invalidDefinition,
      `topic "${name}" must carry at least one event definition`,
    );
  }
  const byTypeAndVersion = new Map<string, AnyEventDefinition>();
  const latestByType = new Map<string, AnyEventDefinition>();
  for (const definition of events) {
    const id = `${definition.type}@${definition.version}`;
    if (byTypeAndVersion.has(id)) {
      throw new InletError(
        InletErrorCode.invalidDefinition,
        `topic "${name}" lists "${definition.type}" version ${definition.version} twice`,
      );
    }
    byTypeAndVersion.set(id, definition);
    const latest = latestByType.get(definition.type);
    if (latest === undefined || latest.version < definition.version)
      latestByType.set(definition.type, definition);
  }
  return Object.freeze({
    name,
    events,
    find: (type: string, version: number) => byTypeAndVersion.get(`${type}@${version}`),
    latest: (type: string) => latestByType.get(type),
    types: () => [...latestByType.keys()],
  });
}
