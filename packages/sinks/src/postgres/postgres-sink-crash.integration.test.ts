import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { createProducer } from '@inlet/producer';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashLoop } from '../crash-loop.test-support';
import { createPostgresSink } from './postgres-sink';
import {
  attemptCounterStatements,
  dropAttemptCounter,
  meterRound,
  meterTopic,
} from './postgres-sink.test-support';
import { tableName } from './table-name.test-support';

// Pipelines into PostgreSQL in child processes, SIGKILLed at random points while they write and
// started again: afterwards the table is compared with the source, and the trigger's counts say
// whether any change was written twice.

const environment = testEnvironment();
const childScript = fileURLToPath(new URL('./fixtures/postgres-pipeline-child.fixture.ts', import.meta.url));
let transport: KafkaTransport;
let pool: pg.Pool;
beforeAll(() => {
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'pg-sink-crash' });
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
});
afterAll(async () => {
  await transport.close();
  await pool.end();
});

function checksum(rows: readonly { key: string; version: string; value: string }[]): string {
  const hash = createHash('sha256');
  for (const row of [...rows].sort((a, b) => a.key.localeCompare(b.key)))
    hash.update(`${row.key}|${row.version}|${row.value}\n`);
  return hash.digest('hex');
}

const meterCount = 60;
const revisions = 100;

async function crashRun(exactlyOnce: boolean) {
  const meters = meterTopic(uniqueName('pg-crash'));
  await transport.admin().createTopics([{ topic: meters.name, partitions: 3 }]);
  const producer = createProducer({ transport });
  for (let seq = 0; seq < revisions; seq += 1) await producer.sendBatch(meters, meterRound(meterCount, seq));
  await producer.close();
  const source = Array.from({ length: meterCount }, (_, meter) => ({
    key: `m-${meter}`,
    version: String(revisions - 1),
    value: `${meter}@${revisions - 1}`,
  }));
  const table = tableName('pg_crash');
  const offsetsTable = `${table}_offsets`;
  const setup = createPostgresSink({ pool, table, topics: [meters], ensureTable: true });
  await setup.init();
  for (const statement of attemptCounterStatements(table)) await pool.query(statement);
  const env = {
    KAFKA_BROKERS: environment.kafkaBrokers.join(','),
    DATABASE_URL: environment.databaseUrl,
    TOPIC: meters.name,
    GROUP_ID: uniqueName('pg-crash-group'),
    TABLE: table,
    OFFSETS_TABLE: offsetsTable,
    EXACTLY_ONCE: String(exactlyOnce),
  };
  const done = async () => {
    const { rows } = await pool.query(`select count(*)::int as n from ${table} where entity_version = $1`, [
      revisions - 1,
    ]);
    return rows[0].n === meterCount;
  };
  try {
    const { killedMidway } = await crashLoop({
      script: childScript,
      env,
      kills: 4,
      killAfter: { least: 50, spread: 500 },
      done,
      what: 'every meter at its last reading',
    });
    const { rows } = await pool.query(
      `select key, entity_version::text as version, value from ${table} where not deleted`,
    );
    const attempts = await pool.query(
      `select max(attempts) as most, count(*) filter (where attempts > 1)::int as repeated from ${table}_attempts`,
    );
    return {
      killedMidway,
      count: rows.length,
      checksum: checksum(rows as { key: string; version: string; value: string }[]),
      sourceChecksum: checksum(source),
      most: Number(attempts.rows[0].most),
      repeated: Number(attempts.rows[0].repeated),
    };
  } finally {
    await pool.query(dropAttemptCounter(table));
    await pool.query(`drop table if exists ${offsetsTable}`);
  }
}

describe('pipelines into PostgreSQL killed mid-stream and restarted', () => {
  it('with exactlyOnce: the table equals the source, and no change was written twice', async () => {
    const result = await crashRun(true);
    expect(result.killedMidway).toBeGreaterThanOrEqual(3);
    expect(result.count).toBe(meterCount);
    expect(result.checksum).toBe(result.sourceChecksum);
    expect(result.most).toBe(1);
  }, 300_000);

  it('without: the table equals the source all the same (idempotent writes), though writes may repeat', async () => {
    const result = await crashRun(false);
    expect(result.killedMidway).toBeGreaterThanOrEqual(3);
    expect(result.count).toBe(meterCount);
    expect(result.checksum).toBe(result.sourceChecksum);
    // Not asserted, only shown: replays after a kill propose changes again.
    console.info(`exactlyOnce off: ${result.repeated} change(s) written more than once`);
  }, 300_000);
});
