import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersTopic, updated } from './fixtures/orders.fixture';

// Consumers in child processes, SIGKILLed at random points while they work and started again:
// afterwards the effects are reconciled against what was produced, id by id.
const environment = testEnvironment();
const childScript = fileURLToPath(new URL('./fixtures/consumer-child.fixture.ts', import.meta.url));
let transport: KafkaTransport;
let pool: pg.Pool;
let redis: Redis;

beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'crash-parent' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl });
  redis = new Redis(environment.redisUrl);
});
afterAll(async () => {
  await transport.close();
  await pool.end();
  redis.disconnect();
});

function checksum(ids: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const id of [...ids].sort()) hash.update(`${id}\n`);
  return hash.digest('hex');
}

interface Child {
  readonly process: ChildProcess;
  handled(): number;
  ready: Promise<void>;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@inlet/source', childScript], {
    env: {
      ...process.env,
      KAFKA_BROKERS: environment.kafkaBrokers.join(','),
      DATABASE_URL: environment.databaseUrl,
      REDIS_URL: environment.redisUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let handled = 0;
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('READY')) resolve();
      const counts = [...output.matchAll(/HANDLED (\d+)/g)];
      const last = counts.at(-1);
      if (last !== undefined) handled = Number(last[1]);
      if (output.length > 10_000) output = output.slice(-1_000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      if (signal === null) reject(new Error(`consumer child exited with ${code}: ${output.slice(-2000)}`));
    });
  });
  return { process: child, handled: () => handled, ready };
}

async function kill(child: Child, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill(signal);
  await exited;
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function produceOrders(keys: number, perKey: number) {
  const orders = ordersTopic(uniqueName('crash'));
  await transport.admin().createTopics([{ topic: orders.name, partitions: 3 }]);
  const producer = createProducer({ transport });
  const ids: string[] = [];
  for (let revision = 0; revision < perKey; revision += 1) {
    const results = await producer.sendBatch(
      orders,
      Array.from({ length: keys }, (_, key) => updated(`order-${key}`, revision)),
    );
    ids.push(...results.map((result) => result.id));
  }
  await producer.close();
  return { orders, ids };
}

/**
 * Runs consumers, killing each at a random point once it is busy, then lets a last one finish.
 * Returns how many were killed while work remained.
 */
async function crashLoop(
  env: Record<string, string>,
  kills: number,
  done: () => Promise<boolean>,
): Promise<number> {
  let killedMidway = 0;
  for (let round = 0; round < kills; round += 1) {
    const child = startChild(env);
    await child.ready;
    // Kill it at a random point of its work: after it has handled somewhere between 20 and 150 events.
    const target = 20 + Math.floor(Math.random() * 130);
    await until(async () => child.handled() >= target || (await done()), 'the child to get going', 60_000);
    if (!(await done())) killedMidway += 1;
    await kill(child);
  }
  const last = startChild(env);
  await last.ready;
  await until(done, 'every event to be handled', 120_000);
  await kill(last, 'SIGTERM');
  return killedMidway;
}

describe('consumers killed mid-batch and restarted', () => {
  it('with transactional dedup in PostgreSQL: every effect exactly once, per-key order kept', async () => {
    const { orders, ids } = await produceOrders(30, 100);
    const effects = uniqueName('effects').replaceAll('-', '_');
    const marks = uniqueName('marks').replaceAll('-', '_');
    await pool.query(
      `create table ${effects} (seq bigserial primary key, event_id text not null, order_id text not null, revision int not null, pid int not null)`,
    );
    try {
      const env = {
        MODE: 'transactional',
        TOPIC: orders.name,
        GROUP_ID: uniqueName('crash-tx'),
        EFFECTS_TABLE: effects,
        MARKS_TABLE: marks,
        JITTER_MS: '10',
      };
      const killedMidway = await crashLoop(env, 5, async () => {
        const { rows } = await pool.query(`select count(distinct event_id)::int as n from ${effects}`);
        return rows[0].n >= ids.length;
      });
      expect(killedMidway).toBeGreaterThanOrEqual(2);
      const { rows } = await pool.query(
        `select event_id, order_id, revision, pid from ${effects} order by seq`,
      );
      expect(rows).toHaveLength(ids.length);
      expect(checksum(rows.map((row) => row.event_id as string))).toBe(checksum(ids));
      expect(new Set(rows.map((row) => row.pid)).size).toBeGreaterThan(1);
      const revisions = new Map<string, number[]>();
      for (const row of rows)
        revisions.set(row.order_id, [...(revisions.get(row.order_id) ?? []), row.revision]);
      for (const list of revisions.values()) expect(list).toEqual([...Array(100).keys()]);
    } finally {
      await pool.query(`drop table if exists ${effects}`);
      await pool.query(`drop table if exists ${marks}`);
    }
  }, 300_000);

  it('with handleBatch and transactional dedup: every effect exactly once, copies absorbed, order kept', async () => {
    const { orders, ids } = await produceOrders(30, 100);
    // Copies of a tenth of the events, as a producer retrying after a timeout would send them.
    const producer = createProducer({ transport });
    for (let index = 0; index < ids.length; index += 10) {
      const revision = Math.floor(index / 30);
      await producer.send(orders, { ...updated(`order-${index % 30}`, revision), id: ids[index] as string });
    }
    await producer.close();
    const effects = uniqueName('effects').replaceAll('-', '_');
    const marks = uniqueName('marks').replaceAll('-', '_');
    await pool.query(
      `create table ${effects} (seq bigserial primary key, event_id text not null, order_id text not null, revision int not null, pid int not null)`,
    );
    try {
      const env = {
        MODE: 'transactional-batch',
        TOPIC: orders.name,
        GROUP_ID: uniqueName('crash-tx-batch'),
        EFFECTS_TABLE: effects,
        MARKS_TABLE: marks,
        JITTER_MS: '60',
      };
      const killedMidway = await crashLoop(env, 4, async () => {
        const { rows } = await pool.query(`select count(distinct event_id)::int as n from ${effects}`);
        return rows[0].n >= ids.length;
      });
      expect(killedMidway).toBeGreaterThanOrEqual(2);
      const { rows } = await pool.query(`select event_id, order_id, revision from ${effects} order by seq`);
      expect(rows).toHaveLength(ids.length);
      expect(checksum(rows.map((row) => row.event_id as string))).toBe(checksum(ids));
      const revisions = new Map<string, number[]>();
      for (const row of rows)
        revisions.set(row.order_id, [...(revisions.get(row.order_id) ?? []), row.revision]);
      for (const list of revisions.values()) expect(list).toEqual([...Array(100).keys()]);
    } finally {
      await pool.query(`drop table if exists ${effects}`);
      await pool.query(`drop table if exists ${marks}`);
    }
  }, 300_000);

  it('with a Redis dedup store: every event at least once, duplicates only from the kill windows', async () => {
    const { orders, ids } = await produceOrders(30, 100);
    const prefix = uniqueName('crash-redis');
    try {
      const env = {
        MODE: 'redis',
        TOPIC: orders.name,
        GROUP_ID: uniqueName('crash-redis'),
        PREFIX: prefix,
        JITTER_MS: '10',
      };
      const kills = 4;
      const killedMidway = await crashLoop(env, kills, async () => {
        const handled = await redis.lrange(`${prefix}:effects`, 0, -1);
        return new Set(handled).size >= ids.length;
      });
      expect(killedMidway).toBeGreaterThanOrEqual(2);
      const handled = await redis.lrange(`${prefix}:effects`, 0, -1);
      expect(checksum(new Set(handled))).toBe(checksum(ids));
      // A kill can only repeat what was in flight then: at most maxConcurrency (16) per kill.
      expect(handled.length - ids.length).toBeLessThanOrEqual(kills * 16);
      for (let key = 0; key < 30; key += 1) {
        const revisions = (await redis.lrange(`${prefix}:order:order-${key}`, 0, -1)).map(Number);
        const withoutRepeats = revisions.filter(
          (revision, index) => index === 0 || revision !== revisions[index - 1],
        );
        expect(withoutRepeats).toEqual([...Array(100).keys()]);
      }
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  }, 300_000);

  it('three consumers in a group, one killed and one added: nothing lost, per-key order kept', async () => {
    const { orders, ids } = await produceOrders(40, 60);
    const prefix = uniqueName('group-moves');
    const env = {
      MODE: 'redis',
      TOPIC: orders.name,
      GROUP_ID: uniqueName('group-moves'),
      PREFIX: prefix,
      JITTER_MS: '20',
    };
    const done = async () => new Set(await redis.lrange(`${prefix}:effects`, 0, -1)).size >= ids.length;
    const children = [startChild(env), startChild(env), startChild(env)];
    try {
      await Promise.all(children.map((child) => child.ready));
      await until(
        async () => children.filter((child) => child.handled() > 0).length >= 2,
        'the group to share the work',
        60_000,
      );
      const victim = children.find((child) => child.handled() > 0) as Child;
      expect(await done()).toBe(false);
      await kill(victim);
      const added = startChild(env);
      children.push(added);
      await added.ready;
      await until(done, 'every event to be handled', 120_000);
      const handled = await redis.lrange(`${prefix}:effects`, 0, -1);
      expect(checksum(new Set(handled))).toBe(checksum(ids));
      for (let key = 0; key < 40; key += 1) {
        const revisions = (await redis.lrange(`${prefix}:order:order-${key}`, 0, -1)).map(Number);
        const withoutRepeats = revisions.filter(
          (revision, index) => index === 0 || revision !== revisions[index - 1],
        );
        expect(withoutRepeats, `order-${key}`).toEqual([...Array(60).keys()]);
      }
    } finally {
      for (const child of children) await kill(child, 'SIGTERM');
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  }, 300_000);
});
