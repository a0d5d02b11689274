import { runOrderService } from './order-service.js';
import { landOrdersInPostgres } from './order-table-postgres.js';

// KAFKA_BROKERS: a comma-separated list, as everywhere in Inlet.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').filter(Boolean);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (line: string) => console.log(line);

try {
  const report = await runOrderService({ brokers, log });
  console.log(`
order-service against Kafka at ${brokers.join(',')}
  updates sent ........................... ${report.updatesSent}
  duplicates sent (same event id) ........ ${report.duplicatesSent}
  late updates sent (older revision) ..... ${report.lateUpdatesSent}
  handled ................................ ${report.handled}
  duplicates absorbed .................... ${report.duplicatesAbsorbed}
  stale revisions skipped ................ ${report.staleSkipped}
  dead-lettered .......................... ${report.deadLettered}
  orders shipped at their last revision .. ${report.ordersCorrect} of ${report.orders}
  applied twice or backwards ............. ${report.appliedTwice + report.appliedBackwards}
  ${report.ok ? 'OK: every update applied once, in order per order.' : 'FAILED: the order table does not match the updates.'}`);

  // The same updates, from the same topic, landed in PostgreSQL by a pipeline and its sink.
  const landed = await landOrdersInPostgres({
    brokers,
    databaseUrl,
    topic: report.topic,
    sent: report.sent,
    log,
  });
  console.log(`
order table in PostgreSQL (createPipeline + createPostgresSink), table ${landed.table} (dropped)
  changes written ........................ ${landed.written}
  rejected / dead-lettered ............... ${landed.rejected} / ${landed.deadLettered}
  rows read back ......................... ${landed.rows} (${landed.orders} orders)
  rows at their order's last update ...... ${landed.rowsCorrect} of ${landed.orders}${landed.problems.map((problem) => `\n  differs: ${problem}`).join('')}
  ${landed.ok ? 'OK: one row per order, each at its last revision.' : 'FAILED: the PostgreSQL table does not match the updates.'}`);
  process.exitCode = report.ok && landed.ok ? 0 : 1;
} catch (error) {
  console.error('order-service failed:', error);
  process.exitCode = 1;
}
