import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { postgresTableSink, postgresTableSource, scheduleReconcile } from '@inlet/reconcile';
import { eventually, testEnvironment, uniqueName } from '@inlet/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitor } from './monitor';
import type { AlertStatus } from './monitor-snapshot';

const environment = testEnvironment();
const tableName = (prefix: string) => uniqueName(prefix).replaceAll('-', '_');
const source = tableName('drift_src');
const sink = tableName('drift_dst');
let pool: pg.Pool;
let transport: KafkaTransport;
let topic: string;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  await pool.query(`create table ${source} (id text primary key, name text, qty bigint)`);
  await pool.query(
    `insert into ${source} select 'order-' || i, 'name ' || i, i % 7 from generate_series(1, 500) i`,
  );
  await pool.query(`create table ${sink} (like ${source} including all)`);
  await pool.query(`insert into ${sink} select * from ${source}`);
  transport = createKafkaJsTransport({ brokers: environment.kafkaBrokers, clientId: 'monitor-drift' });
  topic = uniqueName('drift');
  const admin = transport.admin();
  await admin.createTopics([{ topic, partitions: 1 }]);
  await admin.close();
}, 120_000);

afterAll(async () => {
  await pool.query(`drop table if exists ${source}, ${sink}`);
  await pool.end();
  await transport.close();
});

describe('scheduled reconciliation → drift alert', () => {
  it('fires when a row goes missing from the sink and resolves when it is back', async () => {
    const heard: AlertStatus[] = [];
    const errors: unknown[] = [];
    const monitor = createMonitor({
      transport,
      flows: [{ name: 'orders', groupId: uniqueName('drift-group'), topics: [topic] }],
      rules: [{ kind: 'drift', name: 'orders-drift', flow: 'orders' }],
      hooks: [(change) => void heard.push(change)],
      sampleIntervalMs: 100,
      onError: (error) => errors.push(error),
    });
    let reports = 0;
    const schedule = scheduleReconcile({
      source: postgresTableSource({ pool, table: source, key: 'id' }),
      sink: postgresTableSink({ pool, table: sink, key: 'id' }),
      everyMs: 50,
      onReport: (report) => {
        reports += 1;
        monitor.setReconciliation({ ...report, name: 'orders' });
      },
      onError: (error) => errors.push(error),
    });
    try {
      await eventually(() => (reports >= 2 ? true : undefined), { what: 'two clean reconciliations' });
      await monitor.sample();
      expect(heard).toEqual([]);
      expect(monitor.snapshot().reconciliation).toMatchObject({ name: 'orders', matched: true });

      await pool.query(`delete from ${sink} where id = 'order-42'`);
      const firing = await eventually(() => heard.find((change) => change.state === 'firing'), {
        what: 'the drift alert to fire',
      });
      expect(firing).toMatchObject({ rule: 'orders-drift', flow: 'orders', value: 1 });
      expect(monitor.snapshot().reconciliation).toMatchObject({ matched: false, differingKeys: 1 });
      // Later runs still find the row missing: still firing, so the hook hears nothing new.
      const seen = reports;
      await eventually(() => (reports >= seen + 3 ? true : undefined), { what: 'three more runs' });
      await monitor.sample();
      expect(heard).toHaveLength(1);

      await pool.query(`insert into ${sink} select * from ${source} where id = 'order-42'`);
      await eventually(() => heard.find((change) => change.state === 'resolved'), {
        what: 'the drift alert to resolve',
      });
      expect(heard.map((change) => change.state)).toEqual(['firing', 'resolved']);
      expect(monitor.snapshot().alerts).toMatchObject([
        { rule: 'orders-drift', flow: 'orders', state: 'resolved', value: 0 },
      ]);
      expect(errors).toEqual([]);
    } finally {
      await schedule.close();
      await monitor.close();
    }
  });
});
