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

/** The value strings, preceded by how many there are (the script reads a variable number). */
function counted(value: string[]): string[] {
  value.unshift(String(value.length));
  return value;
}

function encoded(settings: RedisSinkSettings, value: unknown): string[] {
  return settings.format === 'hash' ? encodeHashValue(value) : [encodeJsonValue(value)];
}

/**
 * The script call that applies `change` to its entity's keys under `keyPrefix`; throws
 * INLET_REDIS_SINK_UNENCODABLE when the value cannot be stored in the format.
 */
export function guardedWrite<TEvent extends InletEvent>(
  change: SinkChange<TEvent>,
  keyPrefix: string,
  settings: RedisSinkSettings,
): GuardedWrite {
  const keys = redisEntityKeys(keyPrefix, change.key);
  const type = settings.format === 'hash' ? 'hash' : 'string';
  const version = change.entityVersion === undefined ? '' : String(change.entityVersion);
  let args: string[];
  if (change.kind === 'upsert') {
    const value = settings.value === undefined ? change.event.data : settings.value(change.event as never);
    const ttl = seconds(settings.ttlSeconds);
    args = [type, 'put', version, ttl, ttl, ...counted(encoded(settings, value))];
  } else if (settings.deletes === 'mark') {
    const ttl = seconds(settings.deletedTtlSeconds);
    args = [type, 'put', version, ttl, ttl, ...counted(encoded(settings, deletedMarker))];
  } else {
    args = [type, 'remove', version, '', seconds(settings.deletedTtlSeconds), '0'];
  }
  return { keys: [keys.value, keys.version], args };
}
