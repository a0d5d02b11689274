import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type DemoProgress, type DemoReport, runDemo } from './demo-pipeline';
import { type DemoSinkKind, demoSinkKinds } from './demo-sinks';
import { reconciliationLine } from './reconciliation';
import { windowsLines } from './windows-report';

const usage = `usage: pnpm demo [--brokers host:port[,host:port]] [--postgres | --redis | --sink kind]
                 [--duckdb-file path] [--orders N] [--revisions N] [--keep] [--json]
                 [--serve [--port N]]

Runs the demo pipeline: a producer emits order updates with duplicates, late out-of-order
updates and broken records; a pipeline lands the order table in a sink. Then it reads the whole
topic back from the beginning and reconciles the table against it (row count, each order's
revision and status, an order-independent checksum). Then checkouts on a second topic are
aggregated in event-time windows: revenue per minute (tumbling; late checkouts correct their
minute) and checkouts per customer in the last ten minutes (sliding; late checkouts to a side
output), closed when the stream goes quiet and compared with a batch computation.

  --brokers      real Kafka brokers; the embedded in-memory backbone by default
  --sink         where the table lands: ${demoSinkKinds.join(', ')} (default duckdb, embedded)
  --postgres     the same as --sink postgres: a table in DATABASE_URL
                 (default postgres://postgres@127.0.0.1:5432/test), kept after the run
  --redis        the same as --sink redis: keys in REDIS_URL (default redis://127.0.0.1:6379)
  --duckdb-file  keep the DuckDB table in this file (e.g. examples/demo-pipeline/.run/demo.duckdb,
                 one table per run); in memory by default
  --orders       orders (default 50); --revisions: updates per order (default 20); each a
                 whole number of at least 1
  --keep         on real Kafka, keep the run's topics and consumer groups (deleted by default)
  --json         print the report as JSON (no progress lines)
  --serve        serve the status page of the order table's flow (lag, freshness, throughput,
                 the alerts, the reconciliation) from the start, and keep it up after the report
                 until Ctrl-C; --port: its port on 127.0.0.1 (default 8080, 0 for any free one)

Exits 0 when every order ends at its latest revision with nothing applied twice or backwards, the
reconciliation is exact and the windows equal the batch computation, 1 otherwise.`;

const usageHint = 'pnpm demo --help lists the options';

async function main(): Promise<number> {
  // Until the report says otherwise: a run that ends early (the event loop emptied while
  // waiting) must not pass for a good one.
  process.exitCode = 1;
  let values: {
    brokers?: string;
    sink?: string;
    postgres?: boolean;
    redis?: boolean;
    'duckdb-file'?: string;
    orders?: string;
    revisions?: string;
    keep?: boolean;
    json?: boolean;
    serve?: boolean;
    port?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        brokers: { type: 'string' },
        sink: { type: 'string' },
        postgres: { type: 'boolean', default: false },
        redis: { type: 'boolean', default: false },
        'duckdb-file': { type: 'string' },
        orders: { type: 'string' },
        revisions: { type: 'string' },
        keep: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        serve: { type: 'boolean', default: false },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${usageHint}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const chosen = [
    ...(values.sink === undefined ? [] : [values.sink]),
    ...(values.postgres ? ['postgres'] : []),
    ...(values.redis ? ['redis'] : []),
  ];
  if (chosen.length > 1) {
    console.error(`choose one sink, not ${chosen.join(' and ')}\n${usageHint}`);
    return 2;
  }
  const sink = (chosen[0] ?? 'duckdb') as DemoSinkKind;
  if (!demoSinkKinds.includes(sink)) {
    console.error(`--sink must be one of ${demoSinkKinds.join(', ')}\n${usageHint}`);
    return 2;
  }
  const orders = wholeNumber('--orders', values.orders, 1);
  const revisions = wholeNumber('--revisions', values.revisions, 1);
  if (typeof orders === 'string' || typeof revisions === 'string') {
    console.error(`${typeof orders === 'string' ? orders : revisions}\n${usageHint}`);
    return 2;
  }
  const port = wholeNumber('--port', values.port, 0);
  if (typeof port === 'string' || (port !== undefined && port > 65_535)) {
    console.error(`${typeof port === 'string' ? port : '--port must be at most 65535'}\n${usageHint}`);
    return 2;
  }
  if (port !== undefined && !values.serve) {
    console.error(`--port goes with --serve\n${usageHint}`);
    return 2;
  }
  const duckdbFile = values['duckdb-file'];
  if (duckdbFile !== undefined) await mkdir(dirname(resolve(duckdbFile)), { recursive: true });
  const report = await runDemo({
    sink,
    ...(duckdbFile === undefined ? {} : { duckdbFile }),
    ...(values.brokers === undefined ? {} : { brokers: values.brokers.split(',') }),
    ...(orders === undefined ? {} : { orders }),
    ...(revisions === undefined ? {} : { revisionsPerOrder: revisions }),
    keepTopics: values.keep === true,
    log: values.json ? () => undefined : (line) => progress.line(line),
    ...(values.json ? {} : { onProgress: (at: DemoProgress) => progress.update(at) }),
    ...(values.serve
      ? {
          statusPage: {
            port: port ?? 8080,
            onListening: (url: string) => progress.line(`status page: ${url}`),
            keepUntil: async (report: DemoReport) => {
              printReport(report, values.json === true);
              console.error('the status page stays up; Ctrl-C to stop');
              await interrupted();
            },
          },
        }
      : {}),
  });
  if (!values.serve) printReport(report, values.json === true);
  return report.ok ? 0 : 1;
}

/** Live progress: one line rewritten in place on a terminal, a line a second otherwise. */
const progress = (() => {
  const inPlace = process.stdout.isTTY === true;
  let shown = false;
  let lastAt = 0;
  const text = ({ phase, produced, handled, deadLettered }: DemoProgress) =>
    `  ${phase}: ${produced} sent, ${handled} handled, ${deadLettered} dead-lettered`;
  return {
    update(at: DemoProgress) {
      if (inPlace) {
        process.stdout.write(`\r\x1b[K${text(at)}`);
        shown = true;
      } else if (Date.now() - lastAt >= 1_000) {
        lastAt = Date.now();
        console.log(text(at));
      }
    },
    line(line: string) {
      if (shown) process.stdout.write('\r\x1b[K');
      shown = false;
      console.log(line);
    },
  };
})();

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function printReport(report: DemoReport, json: boolean): void {
  progress.line('');
  if (json) {
    console.log(JSON.stringify(report));
  } else {
    console.log(`
Inlet demo pipeline (${report.backbone === 'embedded' ? 'embedded backbone' : 'real Kafka'}, into ${report.sinkTable})
  events produced ........................ ${report.produced}
  duplicates sent (producer retries) ..... ${report.duplicatesSent}
  late, out-of-order updates sent ........ ${report.lateUpdatesSent}
  broken records sent .................... ${report.brokenRecordsSent}
  handled ................................ ${report.handled}
  duplicates absorbed .................... ${report.duplicatesAbsorbed}
  stale versions skipped ................. ${report.staleSkipped}
  dead-lettered .......................... ${report.deadLettered}
  orders at their latest revision ........ ${report.ordersCorrect} of ${report.orders}
  updates applied twice or backwards ..... ${report.appliedOutOfOrder}
  rows the sink refused .................. ${report.sinkRejected}
  ${reconciliationLine(report.reconciliation)}
  freshness, event time → produced ....... ${percentiles(report.freshness.produced)}
  freshness, event time → handled ........ ${percentiles(report.freshness.handled)}
  freshness, event time → in the sink .... ${percentiles(report.freshness.visible)} (updates are stamped up to a minute back)
${windowsLines(report.windows)
  .map((line) => `  ${line}`)
  .join('\n')}
  alerts that fired ...................... ${alertsLine(report)}
  ${outcomeLine(report)}`);
  }
}

function alertsLine(report: DemoReport): string {
  const fired = report.alerts.filter((change) => change.state === 'firing');
  if (fired.length === 0) return 'none';
  return fired.map((change) => `${change.rule} (${change.message})`).join('; ');
}

/** The flag's value as a whole number of at least `min`; a message saying what is wrong otherwise. */
function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined | string {
  if (text === undefined) return undefined;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min)
    return `${flag} must be a whole number of at least ${min}, got ${JSON.stringify(text)}`;
  return value;
}

function percentiles({ p50Ms, p99Ms }: { p50Ms: number | null; p99Ms: number | null }): string {
  const seconds = (ms: number | null) => (ms === null ? 'none' : `${(ms / 1000).toFixed(2)} s`);
  return `p50 ${seconds(p50Ms)}, p99 ${seconds(p99Ms)}`;
}

function outcomeLine(report: DemoReport): string {
  if (report.ok)
    return 'OK: every event handled once, in order per order; the table equals the topic; the windows equal a batch computation.';
  const tableOk =
    report.reconciliation.exact && report.ordersCorrect === report.orders && report.appliedOutOfOrder === 0;
  return tableOk && !report.windows.ok
    ? 'FAILED: the windows do not match the checkouts.'
    : 'FAILED: the order table does not match the updates.';
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
