import { checkOptions, option, required, type TopicDefinition, type TopicEvent } from '@inlet/core';
import type { RedisSinkClient } from './redis-sink-client';

/** How an entity's value is stored: a JSON string, or a hash with one field per top-level property. */
export type RedisSinkFormat = 'json' | 'hash';

/** What a delete leaves: nothing but the version (`remove`), or a marker value (`mark`). */
export type RedisSinkDeletes = 'remove' | 'mark';

export interface RedisSinkOptions<TTopics extends readonly TopicDefinition[]> {
  /** An ioredis client of yours; `close()` does not quit it. */
  readonly redis: RedisSinkClient;
  /** The topics the events come from: they type `value`. */
  readonly topics: TTopics;
  /** Redis key = keyPrefix + the entity key's id. Default `${topic}:`. */
  readonly keyPrefix?: string;
  /**
   * `json` (default): a string holding the value as JSON. `hash`: one field per top-level
   * property of the value, strings as they are, everything else JSON-encoded.
   */
  readonly format?: RedisSinkFormat;
  /** What is stored for an event (an object, for `hash`). Default: the event's data. */
  readonly value?: (event: TopicEvent<TTopics[number]>) => unknown;
  /** Expiry of values (and their versions), refreshed on every write. Default: none. */
  readonly ttlSeconds?: number;
  /**
   * `remove` (default): a delete removes the value and keeps only its version (in `<key>:v`), so
   * that a late, older update cannot bring the entity back. `mark`: the value is replaced by a
   * marker (`{"__deleted":true}` in JSON, a hash `{ __deleted: "true" }`).
   */
  readonly deletes?: RedisSinkDeletes;
  /** How long what a delete leaves (the version, the marker) is kept. Default 7 days. */
  readonly deletedTtlSeconds?: number;
}

/** The options with their defaults applied. */
export interface RedisSinkSettings {
  readonly keyPrefix: ((topic: string) => string) | string;
  readonly format: RedisSinkFormat;
  readonly value: ((event: never) => unknown) | undefined;
  readonly ttlSeconds: number | undefined;
  readonly deletes: RedisSinkDeletes;
  readonly deletedTtlSeconds: number;
}

export const redisSinkDefaults = {
  format: 'json',
  deletes: 'remove',
  deletedTtlSeconds: 7 * 24 * 60 * 60,
} as const;

const redisSinkShape = {
  redis: required(
    option.methods('an ioredis client', ['pipeline', 'script'], 'pass your ioredis `new Redis(...)`'),
  ),
  topics: required(option.arrayOf(option.methods('a topic definition', ['find', 'types']), { minItems: 1 })),
  keyPrefix: option.string(),
  format: option.oneOf(['json', 'hash']),
  value: option.function('a function (event) => the value to store'),
  ttlSeconds: option.integer({ min: 1 }),
  deletes: option.oneOf(['remove', 'mark']),
  deletedTtlSeconds: option.integer({ min: 1 }),
};

/** Refuses wrong types and unknown keys, naming the option; then applies the defaults. */
export function redisSinkSettings<TTopics extends readonly TopicDefinition[]>(
  options: RedisSinkOptions<TTopics>,
): RedisSinkSettings {
  checkOptions('Redis sink', options, redisSinkShape);
  return {
    keyPrefix: options.keyPrefix ?? ((topic: string) => `${topic}:`),
    format: options.format ?? redisSinkDefaults.format,
    value: options.value as ((event: never) => unknown) | undefined,
    ttlSeconds: options.ttlSeconds,
    deletes: options.deletes ?? redisSinkDefaults.deletes,
    deletedTtlSeconds: options.deletedTtlSeconds ?? redisSinkDefaults.deletedTtlSeconds,
  };
}
