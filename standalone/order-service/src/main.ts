import { runOrderService } from './order-service.js';

// KAFKA_BROKERS: a comma-separated list, as everywhere in Inlet.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').filter(Boolean);

try {
  const report = await runOrderService({ brokers, log: (line) => console.log(line) });
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
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error('order-service failed:', error);
  process.exitCode = 1;
}
