import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import {
  type DedicatedPostgres,
  eventually,
  startDedicatedPostgres,
  testEnvironment,
  uniqueName,
} from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../pipeline';
import { createPostgresSink } from './postgres-sink';
import { meterRound, meterTopic } from './postgres-sink.test-support';
import { tableName } from './table-name.test-support';

// PostgreSQL restarted (fast shutdown: sessions ended with 57P01, then connections refused)
// while a pipeline writes into it: the pipeline retries, reconnects and loses nothing.

const environment = testEnvironment();
let transport: KafkaTransport;
let database: DedicatedPostgres;
let pool: pg.Pool;
beforeAll(async () => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'pg-sink-restart' });
  database = await startDedicatedPostgres('sink-restart');
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  // Idle connections ended by the shutdown report here; the sink's own calls see their errors.
  pool.on('error', () => undefined);
}, 120_000);
afterAll(async () => {
  await transport.close();
  await pool?.end();
  await database?.remove();
});

const meterCount = 60;
const revisions = 100;

describe('the PostgreSQL sink while PostgreSQL restarts', () => {
  for (const write of ['statement', 'copy'] as const) {
    for (const exactlyOnce of [false, true]) {
      it(`retries, reconnects and loses nothing (${write}, exactlyOnce ${exactlyOnce})`, async () => {
        const meters = meterTopic(uniqueName('pg-restart'));
        await transport.admin().createTopics([{ topic: meters.name, partitions: 3 }]);
        const producer = createProducer({ transport });
        for (let seq = 0; seq < revisions; seq += 1)
          await producer.sendBatch(meters, meterRound(meterCount, seq));
        await producer.close();
        const table = tableName('pg_restart');
        const pipeline = createPipeline({
          transport,
          groupId: uniqueName('pg-restart-group'),
          topics: [meters],
          sink: createPostgresSink({ pool, table, topics: [meters], ensureTable: true, write, exactlyOnce }),
          maxBytesPerPartition: 8_192,
          batching: { maxBatch: 25, lingerMs: 5 },
          sinkRetry: { retries: 20, minDelayMs: 100, maxDelayMs: 1_000 },
        });
        try {
          await pipeline.start();
          await eventually(() => (pipeline.stats().written >= 300 ? true : undefined), {
            timeoutMs: 60_000,
            what: 'the pipeline writing',
          });
          expect(pipeline.stats().written).toBeLessThan(meterCount * revisions);
          await database.restart();
          await pipeline.caughtUp({ timeoutMs: 90_000 });
          expect(pipeline.stats().writeRetries).toBeGreaterThan(0);
          expect(await Promise.race([pipeline.stopped(), 'running'])).toBe('running');
        } finally {
          await pipeline.close();
        }
        const { rows } = await pool.query(`select key, entity_version, value from ${table} order by key`);
        expect(rows).toHaveLength(meterCount);
        for (const row of rows) {
          const meter = String(row.key).slice(2);
          expect(row).toEqual({
            key: `m-${meter}`,
            entity_version: String(revisions - 1),
            value: `${meter}@${revisions - 1}`,
          });
        }
        await pool.query(`drop table ${table}`);
      }, 180_000);
    }
  }
});
