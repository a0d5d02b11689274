import { testEnvironment } from '@inlet/test-support';
import { expect, it } from 'vitest';
import { runDemo } from './demo-pipeline';

it('runs the same demo against real Kafka', async () => {
  const report = await runDemo({
    brokers: testEnvironment().kafkaBrokers,
    orders: 20,
    revisionsPerOrder: 10,
  });
  expect(report).toMatchObject({
    backbone: 'kafka',
    sink: 'duckdb',
    ok: true,
    appliedOutOfOrder: 0,
    ordersCorrect: 20,
    deadLettered: 2,
  });
  expect(report.duplicatesAbsorbed).toBe(report.duplicatesSent);
  expect(report.staleSkipped).toBe(report.lateUpdatesSent);
  expect(report.reconciliation).toMatchObject({
    rowsInSink: 20,
    rowsExpected: 20,
    exact: true,
    unreadable: 2,
  });
}, 120_000);
