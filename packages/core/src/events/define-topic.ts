import { InletError, InletErrorCode, InletValidationError, type ValidationIssue } from '../errors';
import { describeValue, option } from '../options/option-rules';
import type { EventData, EventDefinition, EventType } from './define-event';

// biome-ignore lint/suspicious/noExplicitAny: definitions of any data type may share a topic.
export type AnyEventDefinition = EventDefinition<string, any>;

/** Kafka's `cleanup.policy`: delete old segments, keep the last record per key, or both. */
export type TopicCleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/**
 * How a topic is created (by {@link ensureTopics}); a topic that already exists is left as it is.
 * Unset settings are the cluster's defaults, except `partitions`, which is 1.
 */
export interface TopicSettings {
  /**
   * Partitions. Keys are placed by `murmur2(key) % partitions`, so adding partitions later moves
   * keys to other partitions and breaks their order across the change: choose generously.
   */
  readonly partitions?: number;
  /** Copies of each partition (`replication.factor`); the broker's default when unset. */
  readonly replicationFactor?: number;
  /** How long records are kept (`retention.ms`); -1 keeps them forever. */
  readonly retentionMs?: number;
  /** `cleanup.policy`: `compact` keeps the newest record of each key (entity snapshots). */
  readonly cleanupPolicy?: TopicCleanupPolicy;
  /** Any other topic config, by its Kafka name (`min.insync.replicas`, `max.message.bytes`, …). */
  readonly config?: Readonly<Record<string, string>>;
}

/** The event definitions that may appear on one topic, told apart by their type header. */
export interface TopicDefinition<
  TEvents extends readonly AnyEventDefinition[] = readonly AnyEventDefinition[],
> {
  readonly name: string;
  readonly events: TEvents;
  /** How the topic is created; see {@link TopicSettings}. */
  readonly settings: TopicSettings;
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

const cleanupPolicies: readonly TopicCleanupPolicy[] = ['delete', 'compact', 'compact,delete'];

// The config names the typed settings stand for: giving both would leave one silently ignored.
const settingConfigNames = { retentionMs: 'retention.ms', cleanupPolicy: 'cleanup.policy' } as const;

const topicInputShape = {
  name: option.string(),
  events: option.custom('an array of event definitions', Array.isArray),
  partitions: option.integer({ min: 1 }),
  replicationFactor: option.integer({ min: 1 }),
  retentionMs: option.integer({ min: -1 }),
  cleanupPolicy: option.oneOf(cleanupPolicies),
  config: option.custom(
    'an object of config names to strings',
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  ),
};

function checkConfig(config: unknown, issues: ValidationIssue[]): void {
  if (typeof config !== 'object' || config === null) return;
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string') {
      issues.push({ path: `config["${key}"]`, message: `must be a string, got ${describeValue(value)}` });
    }
  }
}

function topicSettings(name: string, input: Record<string, unknown>): TopicSettings {
  const issues: ValidationIssue[] = [];
  option.object(topicInputShape).check(input, '', issues);
  checkConfig(input.config, issues);
  const config = (input.config ?? {}) as Record<string, unknown>;
  for (const [setting, configName] of Object.entries(settingConfigNames)) {
    if (input[setting] !== undefined && config[configName] !== undefined) {
      issues.push({ path: `config["${configName}"]`, message: `is set by ${setting}; give one of them` });
    }
  }
  if (issues.length > 0) {
    throw new InletValidationError(InletErrorCode.invalidDefinition, undefined, issues, {
      subject: `topic "${name}"`,
    });
  }
  const settings: Record<string, unknown> = {};
  for (const key of ['partitions', 'replicationFactor', 'retentionMs', 'cleanupPolicy'] as const) {
    if (input[key] !== undefined) settings[key] = input[key];
  }
  if (input.config !== undefined) settings.config = Object.freeze({ ...config });
  return Object.freeze(settings) as TopicSettings;
}

/**
 * Declares a topic and the event definitions it carries: the one source of truth producers and
 * consumers share. Several types (and several versions of one type) may share a topic.
 *
 * ```ts
 * const orders = defineTopic({ name: 'orders', events: [OrderPlaced, OrderCancelled], partitions: 6 });
 * ```
 *
 * The settings (partitions, replication, retention, compaction, other configs) say how
 * {@link ensureTopics} creates the topic.
 */
export function defineTopic<const TEvents extends readonly AnyEventDefinition[]>(
  input: {
    readonly name: string;
    readonly events: TEvents;
  } & TopicSettings,
): TopicDefinition<TEvents> {
  const { name, events } = input;
  if (typeof name !== 'string' || !topicNamePattern.test(name) || name === '.' || name === '..') {
    throw new InletError(
      InletErrorCode.invalidDefinition,
      `topic name ${JSON.stringify(name)} is not a valid Kafka topic name`,
    );
  }
  const settings = topicSettings(name, input as unknown as Record<string, unknown>);
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
    settings,
    find: (type: string, version: number) => byTypeAndVersion.get(`${type}@${version}`),
    latest: (type: string) => latestByType.get(type),
    types: () => [...latestByType.keys()],
  });
}
