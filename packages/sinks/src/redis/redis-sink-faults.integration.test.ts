import { createEvent, type KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { type DedicatedRedis, startDedicatedRedis, testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../pipeline';
import { type ContractEvent, ContractItem, contractTopic } from '../sink-contract';
import { levelAt, stockRound, stockTopic } from './fixtures/stock-levels.fixture';
import { createRedisSink } from './redis-sink';

// Faults on a Redis of the test's own. A pipeline writing into it, Redis restarted while it
// writes: the sink waits, reconnects, reloads its script (a restarted Redis has none), and the
// cache ends equal to the source, with the pipeline caught up again. Then Redis out of memory.

const { kafkaBrokers } = testEnvironment();
let transport: KafkaTransport;
let dedicated: DedicatedRedis;
beforeAll(async () => {
  transport = createKafkaJsTransport({ brokers: kafkaBrokers, clientId: 'sinks-redis-restart' });
  dedicated = await startDedicatedRedis();
});
afterAll(async () => {
  await transport.close();
  await dedicated.remove();
});

async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const skus = 200;
const rounds = 30;

describe('the Redis sink in a pipeline, Redis restarted mid-stream', () => {
  it('waits, reconnects, loses nothing: the cache equals the source and the lag recovers', async () => {
    const stock = stockTopic(uniqueName('stock'));
    await transport.admin().createTopics([{ topic: stock.name, partitions: 3 }]);
    const redis = new Redis(dedicated.url);
    const check = new Redis(dedicated.url);
    let connectionErrors = 0;
    redis.on('error', () => {
      connectionErrors += 1;
    });
    check.on('error', () => {});
    const keyPrefix = `${uniqueName('stock')}:`;
    const pipeline = createPipeline({
      transport,
      groupId: uniqueName('stock-group'),
      topics: [stock],
      sink: createRedisSink({ redis, topics: [stock], keyPrefix }),
      batching: { maxBatch: 100, lingerMs: 10 },
    });
    const producer = createProducer({ transport });
    let produced = 0;
    try {
      await pipeline.start();
      const producing = (async () => {
        for (let revision = 0; revision < rounds; revision += 1) {
          await producer.sendBatch(stock, stockRound(skus, revision));
          produced += skus;
        }
      })();
      await until(() => pipeline.stats().written >= 1_000, 'the first thousand writes');
      await dedicated.stop();
      const writtenWhileDown = pipeline.stats().written;
      expect(writtenWhileDown).toBeLessThan(skus * rounds);
      // Redis stays down for a while (the fault, not a wait for something): writes queue up.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(pipeline.stats().written - writtenWhileDown).toBeLessThanOrEqual(100 * 3);
      await dedicated.start();
      expect(connectionErrors).toBeGreaterThan(0);
      await producing;
      await until(() => pipeline.stats().written > writtenWhileDown, 'writes after the restart');
      await pipeline.caughtUp({ timeoutMs: 60_000 });
      const stats = pipeline.stats();
      expect(stats.state).not.toBe('failed');
      expect(stats.buffered).toBe(0);
      expect(Object.values(stats.uncommitted).reduce((sum, count) => sum + count, 0)).toBe(0);
      expect(stats.rejected).toBe(0);
      expect(produced).toBe(skus * rounds);

      const last = rounds - 1;
      const values = await check.mget(Array.from({ length: skus }, (_, index) => `${keyPrefix}sku-${index}`));
      const versions = await check.mget(
        Array.from({ length: skus }, (_, index) => `${keyPrefix}sku-${index}:v`),
      );
      values.forEach((value, index) => {
        const sku = `sku-${index}`;
        expect(JSON.parse(value ?? 'null')).toEqual({ sku, revision: last, level: levelAt(sku, last) });
      });
      expect(versions).toEqual(Array.from({ length: skus }, () => String(last)));
      expect(await check.dbsize()).toBe(2 * skus);
      // The restarted Redis had lost the script: the sink loaded it again after NOSCRIPT.
      expect(await check.info('commandstats')).toMatch(/cmdstat_script\|load:calls=[1-9]/);
    } finally {
      await producer.close();
      await pipeline.close();
      redis.disconnect();
      check.disconnect();
    }
  }, 120_000);
});

describe('the Redis sink on a Redis out of memory', () => {
  it('rejects the changes Redis refuses for memory, as OUT_OF_MEMORY, and writes again once there is room', async () => {
    const redis = new Redis(dedicated.url);
    const keyPrefix = `${uniqueName('oom')}:`;
    const sink = createRedisSink({ redis, topics: [contractTopic], keyPrefix });
    const signal = new AbortController().signal;
    const item = (id: string) => {
      const event = createEvent(ContractItem, { id, revision: 1, value: id }, { source: 'urn:test' });
      return {
        kind: 'upsert' as const,
        event: event as ContractEvent,
        key: id,
        entityVersion: 1,
        offset: '0',
      };
    };
    const batch = (ids: string[]) => ({
      groupId: 'g',
      topic: contractTopic.name,
      partition: 0,
      changes: ids.map(item),
      nextOffset: '1',
    });
    try {
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      await redis.config('SET', 'maxmemory', '1');
      const refused = await sink.write(batch(['a', 'b']), { signal });
      expect(refused.rejected?.map(({ index }) => index)).toEqual([0, 1]);
      for (const { error } of refused.rejected ?? []) {
        expect(error).toMatchObject({ code: 'INLET_REDIS_SINK_OUT_OF_MEMORY', retryable: false });
        expect((error as Error).message).toContain('OOM');
      }
      await redis.config('SET', 'maxmemory', '0');
      expect((await sink.write(batch(['a', 'b']), { signal })).rejected).toEqual([]);
      expect(await redis.exists(`${keyPrefix}a`, `${keyPrefix}b`)).toBe(2);
    } finally {
      await redis.config('SET', 'maxmemory', '0');
      await sink.close();
      redis.disconnect();
    }
  });
});
