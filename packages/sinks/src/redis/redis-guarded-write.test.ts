import type { Tombstone } from '@inlet/consumer';
import { createEvent, InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import type { SinkChange } from '../sink';
import { type ContractEvent, ContractItem } from '../sink-contract';
import { redisEntityKeys } from './redis-entity-keys';
import { guardedWrite } from './redis-guarded-write';
import type { RedisSinkSettings } from './redis-sink-options';
import { encodeHashValue, encodeJsonValue } from './redis-value-encoding';

const defaults: RedisSinkSettings = {
  keyPrefix: 'p:',
  format: 'json',
  value: undefined,
  ttlSeconds: undefined,
  deletes: 'remove',
  deletedTtlSeconds: 60,
};

function upsert(id: string, revision: number | undefined): SinkChange<ContractEvent> {
  const event = createEvent(
    ContractItem,
    { id, revision: revision ?? 0, value: `v${revision}` },
    {
      source: 'urn:test',
    },
  ) as ContractEvent;
  return { kind: 'upsert', event, key: id, entityVersion: revision, offset: '0' };
}

function remove(id: string, revision: number): SinkChange<ContractEvent> {
  const tombstone: Tombstone = {
    tombstone: true,
    id: 'x',
    key: id,
    entityVersion: revision,
    eventTime: new Date(),
    type: 'contract.item',
    headers: {},
  };
  return { kind: 'delete', tombstone, key: id, entityVersion: revision, offset: '1' };
}

describe('redisEntityKeys', () => {
  it('puts the prefix before the key id, and the version beside it', () => {
    expect(redisEntityKeys('orders:', 'o-1')).toEqual({ value: 'orders:o-1', version: 'orders:o-1:v' });
    expect(redisEntityKeys('', 'ö 1')).toEqual({ value: 'ö 1', version: 'ö 1:v' });
  });

  it('writes binary keys as hex, as the consumer names them', () => {
    expect(redisEntityKeys('b:', Buffer.from([0xff, 0x00])).value).toBe('b:\\xff00');
  });
});

describe('value encoding', () => {
  it('stores JSON as JSON.stringify writes it, and refuses what has none', () => {
    expect(encodeJsonValue({ a: 1, b: [true] })).toBe('{"a":1,"b":[true]}');
    for (const bad of [undefined, () => 1, 1n])
      expect(() => encodeJsonValue(bad)).toThrow(
        expect.objectContaining({ code: 'INLET_REDIS_SINK_UNENCODABLE' }),
      );
  });

  it('stores a hash field per top-level property: strings as they are, the rest as JSON', () => {
    expect(encodeHashValue({ s: 'text', n: 2, o: { x: null }, u: undefined, f: false })).toEqual([
      's',
      'text',
      'n',
      '2',
      'o',
      '{"x":null}',
      'f',
      'false',
    ]);
  });

  it('refuses a hash of what is not an object', () => {
    for (const bad of ['text', 3, null, [1, 2]]) {
      let error: unknown;
      try {
        encodeHashValue(bad);
      } catch (thrown) {
        error = thrown;
      }
      expect(InletError.hasCode(error, 'INLET_REDIS_SINK_UNENCODABLE')).toBe(true);
    }
  });
});

describe('guardedWrite', () => {
  it('puts an upsert as JSON with its version, no expiry by default', () => {
    expect(guardedWrite(upsert('a', 3), 'p:', defaults)).toEqual({
      keys: ['p:a', 'p:a:v'],
      args: ['string', 'put', '3', '', '', '1', '{"id":"a","revision":3,"value":"v3"}'],
    });
  });

  it('gives value and version the TTL, and leaves the version empty when there is none', () => {
    const write = guardedWrite(upsert('a', undefined), 'p:', { ...defaults, ttlSeconds: 30 });
    expect(write.args.slice(0, 5)).toEqual(['string', 'put', '', '30', '30']);
  });

  it('stores what `value` returns, as a hash when asked', () => {
    const settings: RedisSinkSettings = {
      ...defaults,
      format: 'hash',
      value: ((event: ContractEvent) => ({ v: event.data.value, r: event.data.revision })) as never,
    };
    expect(guardedWrite(upsert('a', 2), 'p:', settings).args).toEqual([
      'hash',
      'put',
      '2',
      '',
      '',
      '4',
      'v',
      'v2',
      'r',
      '2',
    ]);
  });

  it('removes a deleted value and keeps its version for deletedTtlSeconds', () => {
    expect(guardedWrite(remove('a', 4), 'p:', { ...defaults, ttlSeconds: 30 }).args).toEqual([
      'string',
      'remove',
      '4',
      '',
      '60',
      '0',
    ]);
  });

  it('marks a deleted value, marker and version kept for deletedTtlSeconds', () => {
    expect(guardedWrite(remove('a', 4), 'p:', { ...defaults, deletes: 'mark' }).args).toEqual([
      'string',
      'put',
      '4',
      '60',
      '60',
      '1',
      '{"__deleted":true}',
    ]);
    expect(guardedWrite(remove('a', 4), 'p:', { ...defaults, deletes: 'mark', format: 'hash' }).args).toEqual(
      ['hash', 'put', '4', '60', '60', '2', '__deleted', 'true'],
    );
  });

  it('throws the encoding error for a value the format cannot hold', () => {
    const settings: RedisSinkSettings = { ...defaults, format: 'hash', value: (() => 'flat') as never };
    expect(() => guardedWrite(upsert('a', 1), 'p:', settings)).toThrow(/must be an object/);
  });
});
