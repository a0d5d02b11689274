import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelAt, stockRound, stockTopic } from './fixtures/stock-levels.fixture';

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

interface Child {
  readonly process: ChildProcess;
  written(): number;
  readonly ready: Promise<void>;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@inlet/source', childScript], {
    env: {
      ...process.env,
      KAFKA_BROKERS: environment.kafkaBrokers.join(','),
      REDIS_URL: environment.redisUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let written = 0;
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('READY')) resolve();
      const last = [...output.matchAll(/WRITTEN (\d+)/g)].at(-1);
      if (last !== undefined) written = Number(last[1]);
      if (output.length > 10_000) output = output.slice(-1_000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      if (signal === null) reject(new Error(`pipeline child exited with ${code}: ${output.slice(-2000)}`));
    });
  });
  return { process: child, written: () => written, ready };
}

async function stop(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill(signal);
  await exited;
}

async function until(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
    const env = { TOPIC: stock.name, GROUP_ID: uniqueName('stock-crash-group'), KEY_PREFIX: keyPrefix };
    const last = rounds - 1;
    const versionKeys = Array.from({ length: skus }, (_, index) => `${keyPrefix}sku-${index}:v`);
    const done = async () => (await redis.mget(versionKeys)).every((version) => version === String(last));
    try {
      let killedMidway = 0;
      for (let round = 0; round < kills; round += 1) {
        const child = startChild(env);
        await child.ready;
        const target = 100 + Math.floor(Math.random() * 2_500);
        await until(async () => child.written() >= target || (await done()), 'the child to write', 60_000);
        if (!(await done())) killedMidway += 1;
        await stop(child, 'SIGKILL');
      }
      expect(killedMidway).toBe(kills);
      const survivor = startChild(env);
      await survivor.ready;
      await until(done, 'every SKU at its last revision', 120_000);
      await stop(survivor, 'SIGTERM');

      const expected = new Map<string, string>();
      for (let index = 0; index < skus; index += 1) {
        const sku = `sku-${index}`;
        expected.set(
          `${keyPrefix}${sku}`,
          JSON.stringify({ sku, revision: last, level: levelAt(sku, last) }),
        );
        expected.set(`${keyPrefix}${sku}:v`, String(last));
      }
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      const values = await redis.mget(keys);
      const actual = keys.map((key, index) => [key, values[index] ?? ''] as const);
      expect(actual.length).toBe(expected.size);
      expect(checksum(actual)).toBe(checksum(expected));
    } finally {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (found.length > 0) await redis.del(...found);
      } while (cursor !== '0');
    }
  }, 240_000);
});
