import type { Tombstone } from '@inlet/consumer';
import { createEvent } from '@inlet/core';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkBatch, SinkChange } from '../sink';
import {
  type ContractEvent,
  ContractItem,
  contractTopic,
  describeSinkContract,
  type TargetEntity,
} from '../sink-contract';
import { keysUnder, removeUnder } from './redis-keys.test-support';
import { createRedisSink } from './redis-sink';
import type { RedisSinkDeletes, RedisSinkFormat } from './redis-sink-options';

const { redisUrl } = testEnvironment();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl);
});
afterAll(() => {
  redis.disconnect();
});

/** What the sink left under `prefix`, as the contract reads it: values, markers, versions alone. */
async function readUnder(prefix: string): Promise<Map<string, TargetEntity>> {
  const entities = new Map<string, TargetEntity>();
  for (const key of await keysUnder(redis, prefix)) {
    const id = key.slice(prefix.length).replace(/:v$/, '');
    if (entities.has(id)) continue;
    const valueKey = `${prefix}${id}`;
    const [type, version] = await Promise.all([redis.type(valueKey), redis.get(`${valueKey}:v`)]);
    const revision = version === null ? undefined : Number(version);
    let data: Record<string, unknown> | undefined;
    if (type === 'string') data = JSON.parse((await redis.get(valueKey)) as string);
    else if (type === 'hash') data = await redis.hgetall(valueKey);
    else if (type !== 'none') continue; // a key of another type: not the sink's
    const deleted = data === undefined || '__deleted' in data;
    entities.set(id, { revision, value: deleted ? undefined : (data?.value as string), deleted });
  }
  return entities;
}

const wrongTypeId = 'wrong-type';

for (const format of ['json', 'hash'] as const satisfies readonly RedisSinkFormat[]) {
  for (const deletes of ['remove', 'mark'] as const satisfies readonly RedisSinkDeletes[]) {
    describeSinkContract(`redis (${format}, deletes: ${deletes})`, {
      async create() {
        const keyPrefix = `${uniqueName('contract')}:`;
        // A key the sink must not touch: it holds a list.
        await redis.rpush(`${keyPrefix}${wrongTypeId}`, 'not the sink’s');
        const sink = createRedisSink({ redis, topics: [contractTopic], keyPrefix, format, deletes });
        return { sink, read: () => readUnder(keyPrefix), cleanup: () => removeUnder(redis, keyPrefix) };
      },
      refusedItem: () => ({ id: wrongTypeId, revision: 1, value: 'refused' }),
      runs: 10,
    });
  }
}

let offset = 0;
function upsert(id: string, revision: number, value = `${id}@${revision}`): SinkChange<ContractEvent> {
  const event = createEvent(ContractItem, { id, revision, value }, { source: 'urn:test' }) as ContractEvent;
  return { kind: 'upsert', event, key: id, entityVersion: revision, offset: String(offset++) };
}

function remove(id: string, revision: number): SinkChange<ContractEvent> {
  const tombstone: Tombstone = {
    tombstone: true,
    id: `delete-${id}-${revision}`,
    key: id,
    entityVersion: revision,
    eventTime: new Date(),
    type: 'contract.item',
    headers: {},
  };
  return { kind: 'delete', tombstone, key: id, entityVersion: revision, offset: String(offset++) };
}

function batchOf(changes: readonly SinkChange<ContractEvent>[]): SinkBatch<ContractEvent> {
  return { groupId: 'g', topic: contractTopic.name, partition: 0, changes, nextOffset: String(offset) };
}

const signal = new AbortController().signal;

describe('the Redis sink', () => {
  it('stores JSON of the data under the topic by default, and a hash of it when asked', async () => {
    const json = createRedisSink({ redis, topics: [contractTopic] });
    const id = uniqueName('item');
    const keyPrefix = `${uniqueName('hash')}:`;
    const hash = createRedisSink({ redis, topics: [contractTopic], format: 'hash', keyPrefix });
    try {
      await json.write(batchOf([upsert(id, 2)]), { signal });
      expect(JSON.parse((await redis.get(`${contractTopic.name}:${id}`)) as string)).toEqual({
        id,
        revision: 2,
        value: `${id}@2`,
      });
      expect(await redis.get(`${contractTopic.name}:${id}:v`)).toBe('2');
      await hash.write(batchOf([upsert('a', 7)]), { signal });
      expect(await redis.hgetall(`${keyPrefix}a`)).toEqual({ id: 'a', revision: '7', value: 'a@7' });
    } finally {
      await json.close();
      await hash.close();
      await redis.del(`${contractTopic.name}:${id}`, `${contractTopic.name}:${id}:v`);
      await removeUnder(redis, keyPrefix);
    }
  });

  it('stores what `value` returns, and replaces the whole hash on each write', async () => {
    const keyPrefix = `${uniqueName('value')}:`;
    let withExtra = true;
    const sink = createRedisSink({
      redis,
      topics: [contractTopic],
      keyPrefix,
      format: 'hash',
      value: (event) => ({ value: event.data.value, ...(withExtra ? { extra: { n: 1 } } : {}) }),
    });
    try {
      await sink.write(batchOf([upsert('a', 1)]), { signal });
      expect(await redis.hgetall(`${keyPrefix}a`)).toEqual({ value: 'a@1', extra: '{"n":1}' });
      withExtra = false;
      await sink.write(batchOf([upsert('a', 2)]), { signal });
      expect(await redis.hgetall(`${keyPrefix}a`)).toEqual({ value: 'a@2' });
    } finally {
      await sink.close();
      await removeUnder(redis, keyPrefix);
    }
  });

  it('sets the TTL on values and versions, refreshes it on every write, and keeps deletes for deletedTtlSeconds', async () => {
    const keyPrefix = `${uniqueName('ttl')}:`;
    const sink = createRedisSink({
      redis,
      topics: [contractTopic],
      keyPrefix,
      ttlSeconds: 300,
      deletedTtlSeconds: 9_000,
    });
    try {
      await sink.write(batchOf([upsert('a', 1), upsert('b', 1)]), { signal });
      for (const key of ['a', 'a:v', 'b', 'b:v']) {
        const ttl = await redis.ttl(`${keyPrefix}${key}`);
        expect(ttl).toBeGreaterThan(290);
        expect(ttl).toBeLessThanOrEqual(300);
      }
      // As if time had passed: the next write sets the full TTL again.
      await redis.expire(`${keyPrefix}a`, 10);
      await redis.expire(`${keyPrefix}a:v`, 10);
      await sink.write(batchOf([upsert('a', 2), remove('b', 2)]), { signal });
      expect(await redis.ttl(`${keyPrefix}a`)).toBeGreaterThan(290);
      expect(await redis.ttl(`${keyPrefix}a:v`)).toBeGreaterThan(290);
      expect(await redis.exists(`${keyPrefix}b`)).toBe(0);
      expect(await redis.get(`${keyPrefix}b:v`)).toBe('2');
      expect(await redis.ttl(`${keyPrefix}b:v`)).toBeGreaterThan(8_990);
      // An older change is skipped, and leaves the TTL alone.
      await redis.expire(`${keyPrefix}a`, 10);
      await sink.write(batchOf([upsert('a', 1)]), { signal });
      expect(await redis.ttl(`${keyPrefix}a`)).toBeLessThanOrEqual(10);
    } finally {
      await sink.close();
      await removeUnder(redis, keyPrefix);
    }
  });

  it('marks deletes with a marker that lives deletedTtlSeconds', async () => {
    const keyPrefix = `${uniqueName('mark')}:`;
    const sink = createRedisSink({
      redis,
      topics: [contractTopic],
      keyPrefix,
      deletes: 'mark',
      deletedTtlSeconds: 600,
    });
    try {
      await sink.write(batchOf([upsert('a', 1), remove('a', 2)]), { signal });
      expect(await redis.get(`${keyPrefix}a`)).toBe('{"__deleted":true}');
      expect(await redis.ttl(`${keyPrefix}a`)).toBeGreaterThan(590);
      expect(await redis.get(`${keyPrefix}a:v`)).toBe('2');
    } finally {
      await sink.close();
      await removeUnder(redis, keyPrefix);
    }
  });

  it("rejects a change whose key holds another type, with Redis's message, and lands the rest", async () => {
    const keyPrefix = `${uniqueName('wrongtype')}:`;
    await redis.sadd(`${keyPrefix}taken`, 'member');
    await redis.set(`${keyPrefix}flat`, 'a string');
    const sink = createRedisSink({ redis, topics: [contractTopic], keyPrefix, format: 'hash' });
    try {
      const result = await sink.write(
        batchOf([upsert('taken', 1), upsert('a', 1), upsert('flat', 1), remove('taken', 2)]),
        { signal },
      );
      // The delete decides `taken` (newest per key): it alone is rejected for it.
      expect(result.rejected?.map(({ index }) => index)).toEqual([2, 3]);
      for (const { error } of result.rejected ?? []) {
        expect(error).toMatchObject({ code: 'INLET_REDIS_SINK_WRONG_TYPE', retryable: false });
        expect((error as Error).message).toContain('WRONGTYPE');
      }
      expect(await redis.hgetall(`${keyPrefix}a`)).toMatchObject({ value: 'a@1' });
      expect(await redis.smembers(`${keyPrefix}taken`)).toEqual(['member']);
      expect(await redis.get(`${keyPrefix}flat`)).toBe('a string');
      expect(await redis.exists(`${keyPrefix}taken:v`, `${keyPrefix}flat:v`)).toBe(0);
    } finally {
      await sink.close();
      await removeUnder(redis, keyPrefix);
    }
  });

  it('writes a batch of several script calls, rejecting only the key of another type', async () => {
    const keyPrefix = `${uniqueName('calls')}:`;
    await redis.rpush(`${keyPrefix}item-170`, 'a list');
    const sink = createRedisSink({ redis, topics: [contractTopic], keyPrefix });
    try {
      const changes = Array.from({ length: 250 }, (_, index) => upsert(`item-${index}`, 1));
      const result = await sink.write(batchOf(changes), { signal });
      expect(result.rejected?.map(({ index }) => index)).toEqual([170]);
      const entities = await readUnder(keyPrefix);
      expect(entities.size).toBe(249);
      expect(entities.get('item-249')).toEqual({ revision: 1, value: 'item-249@1', deleted: false });
    } finally {
      await sink.close();
      await removeUnder(redis, keyPrefix);
    }
  });

  it('rejects a value the format cannot hold, and lands the rest', async () => {
    const keyPrefix = `${uniqueName('unencodable')}:`;
    const sink = createRedisSink({
      redis,
      topics: [contractTopic],
      keyPrefix,
      format: 'hash',
      value: (event) => (event.data.id === 'bad' ? 'not an object' : event.data),
    });
    try {
      const result = await sink.write(batchOf([upsert('a', 1), upsert('bad', 1)]), { signal });
      expect(result.rejected).toEqual([
        { index: 1, error: expect.objectContaining({ code: 'INLET_REDIS_SINK_UNENCODABLE' }) },
      ]);
      expect(await redis.exists(`${keyPrefix}a`, `${keyPrefix}bad`)).toBe(1);
    } finally {
      await sink.close();
      await removeUnder(redis, keyPrefix);
    }
  });

  it('ends at the newest change per key: a batch twice, reversed, older after newer (property)', async () => {
    const change = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'ö', 'e f'),
      revision: fc.integer({ min: 0, max: 1_000 }),
      delete: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(change, {
          minLength: 1,
          maxLength: 30,
          selector: ({ id, revision }) => `${id}@${revision}`,
        }),
        fc.constantFrom<RedisSinkFormat>('json', 'hash'),
        fc.constantFrom<RedisSinkDeletes>('remove', 'mark'),
        async (changes, format, deletes) => {
          const keyPrefix = `${uniqueName('property')}:`;
          const sink = createRedisSink({ redis, topics: [contractTopic], keyPrefix, format, deletes });
          try {
            const batch = batchOf(
              changes.map(({ id, revision, delete: d }) => (d ? remove(id, revision) : upsert(id, revision))),
            );
            const newer = [...batch.changes].sort((x, y) => (y.entityVersion ?? 0) - (x.entityVersion ?? 0));
            await sink.write(batch, { signal });
            await sink.write(batch, { signal });
            await sink.write(batchOf([...batch.changes].reverse()), { signal });
            // Newest first, then each older one in a batch of its own.
            for (const each of newer) await sink.write(batchOf([each]), { signal });
            const expected = new Map<string, TargetEntity>();
            for (const { id, revision, delete: deleted } of changes) {
              const current = expected.get(id);
              if (current === undefined || revision > (current.revision ?? -1))
                expected.set(id, { revision, value: deleted ? undefined : `${id}@${revision}`, deleted });
            }
            expect(await readUnder(keyPrefix)).toEqual(expected);
          } finally {
            await sink.close();
            await removeUnder(redis, keyPrefix);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
