import { expect, it } from 'vitest';
import { runDemo } from './demo-pipeline';

it('runs the demo on the embedded backbone: duplicates absorbed, late updates skipped, broken records dead-lettered', async () => {
  const report = await runDemo({ orders: 20, revisionsPerOrder: 10 });
  expect(report).toMatchObject({
    backbone: 'embedded',
    ok: true,
    appliedOutOfOrder: 0,
    ordersCorrect: 20,
    deadLettered: 2,
  });
  expect(report.duplicatesAbsorbed).toBe(report.duplicatesSent);
  expect(report.staleSkipped).toBe(report.lateUpdatesSent);
  expect(report.duplicatesSent).toBeGreaterThan(0);
  expect(report.lateUpdatesSent).toBeGreaterThan(0);
});
