import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment } from '@inlet/test-support';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type DemoReport, runDemo } from './demo-pipeline';

const environment = testEnvironment();

async function topicsOfRun(runId: string): Promise<string[]> {
  const transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers });
  const admin = transport.admin();
  try {
    return (await admin.listTopics()).filter((name) => name.includes(`.${runId}`));
  } finally {
    await admin.close();
    await transport.close();
  }
}
const tables: string[] = [];

afterAll(async () => {
  // The demo keeps what it landed for people to look at; tests tidy up after themselves.
  const pool = new pg.Pool({ connectionString: environment.databaseUrl });
  const redis = new Redis(environment.redisUrl);
  try {
    for (const table of tables) {
      await pool.query(`drop table if exists ${table}`);
      const keys = await redis.keys(`${table}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    await pool.end();
    redis.disconnect();
  }
});

function expectExact(report: DemoReport) {
  expect(report).toMatchObject({
    backbone: 'kafka',
    ok: true,
    appliedOutOfOrder: 0,
    ordersCorrect: 20,
    deadLettered: 2,
    sinkRejected: 0,
  });
  expect(report.duplicatesAbsorbed).toBe(report.duplicatesSent);
  expect(report.staleSkipped).toBe(report.lateUpdatesSent);
  expect(report.reconciliation).toMatchObject({
    rowsInSink: 20,
    rowsExpected: 20,
    exact: true,
    unreadable: 2,
  });
  // The windows over the checkouts topic, through the broker: late checkouts judged late by the
  // watermark, duplicates absorbed, the last windows closed by the quiet-stream rule.
  expect(report.windows).toMatchObject({
    ok: true,
    equalsBatch: true,
    lateSent: 8,
    lateByPolicy: { updated: 8, sideOutput: 8, dropped: 0, expired: 0 },
    sideOutputIsTheLateCheckouts: true,
    duplicatesAbsorbed: {
      revenuePerMinute: report.windows.duplicatesSent,
      checkoutsLastTenMinutes: report.windows.duplicatesSent,
    },
  });
  const query = report.windows.interactiveQuery;
  expect([query.revenue, query.minutes]).toEqual([query.expectedRevenue, query.expectedMinutes]);
}

describe('the demo against real Kafka', () => {
  it('lands the order table in the embedded DuckDB sink, reconciled exactly', async () => {
    const report = await runDemo({ brokers: environment.kafkaBrokers, orders: 20, revisionsPerOrder: 10 });
    expect(report.sink).toBe('duckdb');
    expectExact(report);
    // It leaves nothing behind on the broker: every topic of the run is gone.
    const runId = report.topic.slice('demo.orders.'.length);
    expect(report.cleanup).not.toBe('kept');
    expect(report.cleanup !== 'kept' && report.cleanup.topics).toContain(report.topic);
    expect(await topicsOfRun(runId)).toEqual([]);
  }, 120_000);

  it("keeps the run's topics when asked to", async () => {
    const report = await runDemo({
      brokers: environment.kafkaBrokers,
      orders: 3,
      revisionsPerOrder: 2,
      keepTopics: true,
    });
    const runId = report.topic.slice('demo.orders.'.length);
    const kept = await topicsOfRun(runId);
    expect(report.cleanup).toBe('kept');
    expect(kept).toContain(report.topic);
    const transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers });
    const admin = transport.admin();
    try {
      await admin.deleteTopics(kept);
    } finally {
      await admin.close();
      await transport.close();
    }
  }, 120_000);

  it.each(['postgres', 'redis'] as const)(
    'lands it in %s, reconciled exactly, and the data is there afterwards',
    async (sink) => {
      const report = await runDemo({
        brokers: environment.kafkaBrokers,
        sink,
        orders: 20,
        revisionsPerOrder: 10,
      });
      const table = report.topic.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
      tables.push(table);
      expect(report.sink).toBe(sink);
      expectExact(report);
      // Read back independently of the demo's own reader.
      if (sink === 'postgres') {
        const pool = new pg.Pool({ connectionString: environment.databaseUrl });
        try {
          const { rows } = await pool.query(
            `select key, entity_version::int as version, status from ${table}`,
          );
          expect(rows).toHaveLength(20);
          for (const row of rows) expect(row).toMatchObject({ version: 9, status: 'delivered' });
        } finally {
          await pool.end();
        }
      } else {
        const redis = new Redis(environment.redisUrl);
        try {
          const value = JSON.parse((await redis.get(`${table}:order-7`)) ?? 'null');
          expect(value).toMatchObject({ orderId: 'order-7', revision: 9, status: 'delivered' });
          expect(await redis.get(`${table}:order-7:v`)).toBe('9');
        } finally {
          redis.disconnect();
        }
      }
    },
    120_000,
  );

  it('runs from the command line with --postgres, and refuses two sinks at once', async () => {
    const cli = (args: readonly string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', '--conditions=@inlet/source', 'src/main.ts', ...args],
          { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 90_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const brokers = environment.kafkaBrokers.join(',');
    const run = await cli([
      '--brokers',
      brokers,
      '--postgres',
      '--orders',
      '5',
      '--revisions',
      '3',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as DemoReport;
    tables.push(report.topic.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase());
    expect(report).toMatchObject({
      sink: 'postgres',
      ok: true,
      reconciliation: { exact: true, rowsInSink: 5 },
      windows: { ok: true, equalsBatch: true },
    });
    expect(report.windows.revenuePerMinute.length).toBeGreaterThanOrEqual(20);
    const refused = await cli(['--postgres', '--redis']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('choose one sink');
    for (const [flag, value] of [
      ['--orders', 'abc'],
      ['--orders', '0'],
      ['--revisions', '2.5'],
    ]) {
      const bad = await cli([flag as string, value as string]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`${flag} must be a whole number of at least 1, got "${value}"`);
    }
    const portAlone = await cli(['--port', '8080']);
    expect(portAlone.code).toBe(2);
    expect(portAlone.stderr).toContain('--port goes with --serve');
    const badPort = await cli(['--serve', '--port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be at most 65535');
  }, 120_000);
});
