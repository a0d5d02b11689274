import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashLoop } from '../crash-loop.test-support';
import { levelAt, stockRound, stockTopic } from './fixtures/stock-levels.fixture';
import { keysUnder, removeUnder } from './redis-keys.test-support';

// Pipelines into Redis in child processes, SIGKILLed at random points while they write, and
// started again: afterwards Redis holds exactly the source's newest state, key by key.

const environment = testEnvironment();
const childScript = fileURLToPath(new URL('./fixtures/redis-pipeline-child.fixture.ts', import.meta.url));
let transport: KafkaTransport;
let redis: Redis;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'redis-sink-crash' });
  redis = new Redis(environment.redisUrl);
});
afterAll(async () => {
  await transport.close();
  redis.disconnect();
});

function checksum(entries: Iterable<readonly [string, string]>): string {
  const hash = createHash('sha256');
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    hash.update(`${key}\u0000${value}\n`);
  return hash.digest('hex');
}

const skus = 400;
const rounds = 50;
const kills = 4;

describe('pipelines into Redis killed mid-stream and restarted', () => {
  it('leave Redis equal to the source: count and checksum', async () => {
    const stock = stockTopic(uniqueName('stock-crash'));
    await transport.admin().createTopics([{ topic: stock.name, partitions: 3 }]);
    const producer = createProducer({ transport });
    for (let revision = 0; revision < rounds; revision += 1)
      await producer.sendBatch(stock, stockRound(skus, revision));
    await producer.close();

    const keyPrefix = `${uniqueName('stock-crash')}:`;
    const env = {
      KAFKA_BROKERS: environment.kafkaBrokers.join(','),
      REDIS_URL: environment.redisUrl,
      TOPIC: stock.name,
      GROUP_ID: uniqueName('stock-crash-group'),
      KEY_PREFIX: keyPrefix,
    };
    const last = rounds - 1;
    const versionKeys = Array.from({ length: skus }, (_, index) => `${keyPrefix}sku-${index}:v`);
    const done = async () => (await redis.mget(versionKeys)).every((version) => version === String(last));
    try {
      const { killedMidway } = await crashLoop({
        script: childScript,
        env,
        kills,
        killAfter: { least: 100, spread: 2_500 },
        done,
        what: 'every SKU at its last revision',
      });
      expect(killedMidway).toBe(kills);

      const expected = new Map<string, string>();
      for (let index = 0; index < skus; index += 1) {
        const sku = `sku-${index}`;
        expected.set(
          `${keyPrefix}${sku}`,
          JSON.stringify({ sku, revision: last, level: levelAt(sku, last) }),
        );
        expected.set(`${keyPrefix}${sku}:v`, String(last));
      }
      const keys = await keysUnder(redis, keyPrefix);
      const values = await redis.mget(keys);
      const actual = keys.map((key, index) => [key, values[index] ?? ''] as const);
      expect(actual.length).toBe(expected.size);
      expect(checksum(actual)).toBe(checksum(expected));
    } finally {
      await removeUnder(redis, keyPrefix);
    }
  }, 240_000);
});
