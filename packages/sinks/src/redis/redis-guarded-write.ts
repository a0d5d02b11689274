import type { InletEvent } from '@inlet/core';
import type { SinkChange } from '../sink';
import { redisEntityKeys } from './redis-entity-keys';
import type { RedisSinkSettings } from './redis-sink-options';
import { deletedMarker, encodeHashValue, encodeJsonValue } from './redis-value-encoding';

/** One change as its part of a version guard script call: two keys, and its arguments. */
export interface GuardedWrite {
  readonly keys: readonly [value: string, version: string];
  readonly args: readonly string[];
}

function seconds(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/**
 * Appends the keys and arguments that apply `change` to its entity's keys under `keyPrefix` to
 * a script call's `keys` and `args`; throws INLET_REDIS_SINK_UNENCODABLE, appending nothing, when
 * the value cannot be stored in the format. Building a call's arrays in place, rather than one
 * array per change, is most of what the sink costs beyond the Redis client itself.
 */
export function appendGuardedWrite<TEvent extends InletEvent>(
  change: SinkChange<TEvent>,
  keyPrefix: string,
  settings: RedisSinkSettings,
  keys: string[],
  args: string[],
): void {
  const type = settings.format === 'hash' ? 'hash' : 'string';
  const version = change.entityVersion === undefined ? '' : String(change.entityVersion);
  if (change.kind === 'upsert' || settings.deletes === 'mark') {
    const value =
      change.kind === 'delete'
        ? deletedMarker
        : settings.value === undefined
          ? change.event.data
          : settings.value(change.event as never);
    // Encoded first: a value that cannot be stored leaves the call as it was.
    const ttl = seconds(change.kind === 'upsert' ? settings.ttlSeconds : settings.deletedTtlSeconds);
    if (settings.format === 'hash') {
      const pairs = encodeHashValue(value);
      pushKeys(keyPrefix, change, keys);
      args.push(type, 'put', version, ttl, ttl, String(pairs.length));
      for (const pair of pairs) args.push(pair);
    } else {
      const json = encodeJsonValue(value);
      pushKeys(keyPrefix, change, keys);
      args.push(type, 'put', version, ttl, ttl, '1', json);
    }
  } else {
    pushKeys(keyPrefix, change, keys);
    args.push(type, 'remove', version, '', seconds(settings.deletedTtlSeconds), '0');
  }
}

function pushKeys<TEvent>(keyPrefix: string, change: SinkChange<TEvent>, keys: string[]): void {
  const { value, version } = redisEntityKeys(keyPrefix, change.key);
  keys.push(value, version);
}

/** The script call part that applies `change` alone (see `appendGuardedWrite`). */
export function guardedWrite<TEvent extends InletEvent>(
  change: SinkChange<TEvent>,
  keyPrefix: string,
  settings: RedisSinkSettings,
): GuardedWrite {
  const keys: string[] = [];
  const args: string[] = [];
  appendGuardedWrite(change, keyPrefix, settings, keys, args);
  return { keys: keys as unknown as GuardedWrite['keys'], args };
}
