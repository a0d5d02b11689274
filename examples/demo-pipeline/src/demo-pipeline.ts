import { createInMemoryBackbone } from '@inlet/backbone';
import { createConsumer, createMemoryVersionStore, isTombstone } from '@inlet/consumer';
import {
  defineEvent,
  defineTopic,
  ensureTopics,
  entityKeyId,
  jsonSchema,
  type KafkaTransport,
  type TopicDefinition,
} from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import {
  type AlertRule,
  type AlertStatus,
  createMonitor,
  createStatusServer,
  type Monitor,
} from '@inlet/monitor';
import { createProducer } from '@inlet/producer';
import { createPipeline, type Sink } from '@inlet/sinks';
import { createDemoSink, type DemoSinkKind } from './demo-sinks';
import { checkoutsTopic, runWindowsDemo } from './demo-windows';
import { newestOrders, type Reconciliation, reconcile } from './reconciliation';
import type { WindowsReport } from './windows-report';

// The demo pipeline: a producer emits order updates the way real systems do (retries that
// duplicate events, updates that arrive late and out of order, a few broken records), and a
// pipeline lands them in an order table in a sink (embedded DuckDB by default). At the end the
// table must equal what the updates mean: every order at its latest revision, no update applied
// twice or backwards; and reading the whole topic back must give exactly the table (the
// reconciliation of sink against source). Then, on the same transport, checkouts are aggregated in
// event-time windows (demo-windows.ts), and the window results must equal a batch computation.

export const OrderUpdated = defineEvent({
  type: 'order.updated',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      orderId: { type: 'string', minLength: 1 },
      revision: { type: 'integer', minimum: 0 },
      status: { enum: ['placed', 'paid', 'packed', 'shipped', 'delivered'] },
      total: { type: 'number', minimum: 0 },
      updatedAt: { type: 'string' },
    },
    required: ['orderId', 'revision', 'status', 'total', 'updatedAt'],
    additionalProperties: false,
  }),
  key: (order) => order.orderId,
  eventTime: (order) => order.updatedAt,
  entityVersion: (order) => order.revision,
});

export interface DemoOptions {
  /** Real brokers; the embedded in-memory backbone when absent. */
  readonly brokers?: readonly string[];
  readonly orders?: number;
  readonly revisionsPerOrder?: number;
  /** Where the order table lands. Default `'duckdb'`. */
  readonly sink?: DemoSinkKind;
  /** The DuckDB sink's database file; in memory when absent. */
  readonly duckdbFile?: string;
  /** Progress lines go here. */
  readonly log?: (line: string) => void;
  /**
   * On real Kafka the run deletes the topics and consumer groups it created (every name holds the
   * run's id) unless this is true. The embedded backbone goes with the process either way.
   */
  readonly keepTopics?: boolean;
  /** Called every `progressIntervalMs` (default 250) while the order table is written. */
  readonly onProgress?: (progress: DemoProgress) => void;
  readonly progressIntervalMs?: number;
  /**
   * Serves the status page on the order table's flow from the start of the run; once the run is
   * done it stays up (with the last figures) until `keepUntil` resolves.
   */
  readonly statusPage?: {
    readonly port: number;
    readonly host?: string;
    readonly onListening?: (url: string) => void;
    /** Called with the report once the run is done; the page stays up until it resolves. */
    readonly keepUntil?: (report: DemoReport) => Promise<void>;
  };
}

/** Where the run is while it writes the order table. */
export interface DemoProgress {
  readonly phase: 'producing' | 'catching up';
  readonly produced: number;
  readonly handled: number;
  readonly deadLettered: number;
}

/** The alert rules the demo's monitor runs on the order table's flow. */
export const demoAlertRules: readonly AlertRule[] = [
  { name: 'dead letters', kind: 'dlq-rate', maxPerMinute: 1 },
  // The updates are stamped up to a minute back (a device's clock): this one fires, on purpose.
  { name: 'freshness over 30 s', kind: 'freshness', maxMs: 30_000 },
  { name: 'lag over 5000 events', kind: 'lag', maxEvents: 5_000 },
];

export interface DemoReport {
  readonly backbone: 'embedded' | 'kafka';
  /** On real Kafka: the topics and groups the run deleted at its end, or `kept`. */
  readonly cleanup: { readonly topics: readonly string[]; readonly groups: readonly string[] } | 'kept';
  readonly sink: DemoSinkKind;
  /** Where the table is: the database and table name. */
  readonly sinkTable: string;
  readonly topic: string;
  readonly produced: number;
  /** Events sent again with the same id (what a producer retry does). */
  readonly duplicatesSent: number;
  /** Older revisions sent after newer ones. */
  readonly lateUpdatesSent: number;
  readonly brokenRecordsSent: number;
  readonly handled: number;
  readonly duplicatesAbsorbed: number;
  readonly staleSkipped: number;
  readonly deadLettered: number;
  /** Orders whose final state is their latest revision. */
  readonly ordersCorrect: number;
  readonly orders: number;
  /** Updates written to the sink for an order at or below the revision written before: must be 0. */
  readonly appliedOutOfOrder: number;
  /** Changes the sink refused (dead-lettered by the pipeline): must be 0. */
  readonly sinkRejected: number;
  readonly reconciliation: Reconciliation;
  /** Revenue per minute and checkouts per customer in the last ten minutes, from a second topic. */
  readonly windows: WindowsReport;
  /**
   * End-to-end freshness of the order table, from each update's event time to the hop, as
   * `@inlet/monitor` measured it from the consumer's and the sink's diagnostics (ms; the updates
   * are stamped up to a minute back, as a device's clock might be).
   */
  readonly freshness: {
    readonly produced: { readonly p50Ms: number | null; readonly p99Ms: number | null };
    readonly handled: { readonly p50Ms: number | null; readonly p99Ms: number | null };
    readonly visible: { readonly p50Ms: number | null; readonly p99Ms: number | null };
  };
  /** The state changes of {@link demoAlertRules} during the run, in order. */
  readonly alerts: readonly AlertStatus[];
  readonly ok: boolean;
}

const statuses = ['placed', 'paid', 'packed', 'shipped', 'delivered'] as const;

function update(orderId: number, revision: number) {
  return {
    type: 'order.updated' as const,
    data: {
      orderId: `order-${orderId}`,
      revision,
      status: statuses[Math.min(revision, statuses.length - 1)] ?? 'placed',
      total: 10 + orderId,
      updatedAt: new Date(Date.now() - 60_000 + revision).toISOString(),
    },
  };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const log = options.log ?? (() => undefined);
  const orderCount = options.orders ?? 50;
  const revisions = options.revisionsPerOrder ?? 20;
  const transport: KafkaTransport =
    options.brokers === undefined
      ? createInMemoryBackbone({ defaultPartitions: 3 })
      : createKafkaJsTransport({ brokers: options.brokers, clientId: 'inlet-demo' });
  const runId = Date.now().toString(36);
  const topic = defineTopic({
    name: `demo.orders.${runId}`,
    events: [OrderUpdated],
    partitions: 3,
  });
  await ensureTopics(transport, [topic]);
  log(
    `backbone: ${options.brokers === undefined ? 'embedded (in-memory)' : `Kafka at ${options.brokers.join(',')}`}, topic ${topic.name}`,
  );

  const target = await createDemoSink(options.sink ?? 'duckdb', topic, {
    ...(options.duckdbFile === undefined ? {} : { duckdbFile: options.duckdbFile }),
  }).catch(async (error: unknown) => {
    await transport.close();
    throw error;
  });
  log(`sink: ${target.where}`);
  const watched = watchOrder(target.sink);
  const groupId = `${topic.name}.order-table`;
  const alerts: AlertStatus[] = [];
  // Listens to the diagnostics channels for the whole run (freshness per hop, dead letters) and
  // samples the group's lag: the report's freshness and the alerts that fired.
  const monitor = createMonitor({
    transport,
    flows: [{ name: 'order table', groupId, topics: [topic.name] }],
    rules: demoAlertRules,
    hooks: [(change) => void alerts.push(change)],
    sampleIntervalMs: 500,
    onError: (error) => log(`monitor: ${String(error)}`),
  });
  const statusServer =
    options.statusPage === undefined
      ? undefined
      : await createStatusServer({
          port: options.statusPage.port,
          ...(options.statusPage.host === undefined ? {} : { host: options.statusPage.host }),
          snapshot: () => monitor.snapshot(),
          metricsText: () => monitor.metricsText(),
        });
  if (statusServer !== undefined) options.statusPage?.onListening?.(statusServer.url);
  let report: DemoReport | undefined;
  try {
    report = await runOrderTable(monitor);
    return report;
  } finally {
    await monitor.close();
    if (statusServer !== undefined) {
      if (report !== undefined) await options.statusPage?.keepUntil?.(report);
      await statusServer.close();
    }
  }

  async function runOrderTable(monitor: Monitor): Promise<DemoReport> {
    const pipeline = createPipeline({
      transport,
      groupId,
      topics: [topic],
      sink: watched.sink,
      versionGate: { store: createMemoryVersionStore() },
      retry: { retries: 2, minDelayMs: 10, maxDelayMs: 50 },
      commitIntervalMs: 100,
      batching: { maxBatch: 200, lingerMs: 10 },
    });
    await pipeline.start();
    // The baseline the rates are measured from.
    await monitor.sample();

    const producer = createProducer({ transport });
    let produced = 0;
    let duplicatesSent = 0;
    let lateUpdatesSent = 0;
    const brokenRecordsSent = 2;
    let phase: DemoProgress['phase'] = 'producing';
    const reportProgress = () => {
      const { handled, deadLettered } = pipeline.stats();
      options.onProgress?.({
        phase,
        produced: produced + duplicatesSent + lateUpdatesSent,
        handled,
        deadLettered,
      });
    };
    const progressTimer =
      options.onProgress === undefined
        ? undefined
        : setInterval(reportProgress, options.progressIntervalMs ?? 250);
    try {
      for (let revision = 0; revision < revisions; revision += 1) {
        const results = await producer.sendBatch(
          topic,
          Array.from({ length: orderCount }, (_, order) => update(order, revision)),
        );
        produced += results.length;
        // A retry after a lost acknowledgement sends the same event again, with the same id.
        for (const [order, result] of results.entries()) {
          if ((order + revision) % 10 !== 0) continue;
          await producer.send(topic, { ...update(order, revision), id: result.id });
          duplicatesSent += 1;
        }
        // A slow device finally delivers an update it made three revisions ago.
        if (revision >= 3 && revision % 4 === 0) {
          const lateOrders = Math.min(5, orderCount);
          await producer.sendBatch(
            topic,
            Array.from({ length: lateOrders }, (_, order) => update(order, revision - 3)),
          );
          lateUpdatesSent += lateOrders;
        }
      }
      // Records nobody can read: garbage bytes, and an update that breaks the schema.
      const raw = transport.producer();
      await raw.send([
        {
          topic: topic.name,
          key: Buffer.from('order-1'),
          value: Buffer.from('\u0000not an event'),
          headers: {},
        },
        {
          topic: topic.name,
          key: Buffer.from('order-2'),
          value: Buffer.from(JSON.stringify({ orderId: 'order-2', revision: -1 })),
          headers: {
            ce_specversion: '1.0',
            ce_id: 'broken-update',
            ce_source: 'urn:demo:legacy-system',
            ce_type: 'order.updated',
            ce_time: new Date().toISOString(),
            'content-type': 'application/json',
          },
        },
      ]);
      await raw.close();
      await producer.close();
      log(
        `produced ${produced} updates, ${duplicatesSent} duplicates, ${lateUpdatesSent} late updates, ${brokenRecordsSent} broken records`,
      );

      // Everything produced so far is written, skipped or dead-lettered, and committed.
      phase = 'catching up';
      await pipeline.caughtUp({ timeoutMs: 60_000 });
    } finally {
      if (progressTimer !== undefined) clearInterval(progressTimer);
    }
    reportProgress();
    // A sample after the last event: the rules see the whole run.
    await monitor.sample();
    const stats = pipeline.stats();
    await pipeline.close();
    const freshness = {
      produced: monitor.metrics.producedFreshness(topic.name),
      handled: monitor.metrics.freshness(groupId, 'handled'),
      visible: monitor.metrics.freshness(groupId, 'visible'),
    };
    // Sampling stops here (the transport closes soon); the status page keeps the last figures.
    await monitor.close();

    let cleanup: DemoReport['cleanup'] = 'kept';
    try {
      const table = await target.readTable();
      let readBack: Awaited<ReturnType<typeof readTopic>>;
      let windows: WindowsReport;
      try {
        readBack = await readTopic(transport, topic);
        windows = await runWindowsDemo(transport, {
          runId,
          log,
          // A broker's round trip on a busy machine can take a few hundred ms: more margin.
          ...(options.brokers === undefined ? {} : { quietAfterMs: 1_000 }),
        });
      } finally {
        cleanup =
          options.brokers === undefined || options.keepTopics === true
            ? 'kept'
            : await deleteRunLeftovers(transport, runId, [
                `${topic.name}.order-table`,
                `${topic.name}.reconciliation`,
                `${checkoutsTopic(runId).name}.revenue-per-minute`,
                `${checkoutsTopic(runId).name}.checkouts-last-ten-minutes`,
              ]).catch((error: unknown) => {
                log(`could not delete the run's topics: ${String(error)}`);
                return 'kept' as const;
              });
        await transport.close();
      }
      const reconciliation = reconcile(table, newestOrders(readBack.updates), {
        recordsRead: readBack.recordsRead,
        unreadable: readBack.unreadable,
      });
      monitor.setReconciliation({
        at: new Date().toISOString(),
        source: `topic ${topic.name}`,
        sink: target.where,
        matched: reconciliation.exact,
        differingKeys: reconciliation.missing + reconciliation.extra + reconciliation.different,
      });
      let ordersCorrect = 0;
      for (let order = 0; order < orderCount; order += 1) {
        if (table.get(`order-${order}`)?.revision === revisions - 1) ordersCorrect += 1;
      }
      return {
        backbone: options.brokers === undefined ? 'embedded' : 'kafka',
        cleanup,
        sink: target.kind,
        sinkTable: target.where,
        topic: topic.name,
        produced,
        duplicatesSent,
        lateUpdatesSent,
        brokenRecordsSent,
        handled: stats.handled,
        duplicatesAbsorbed: stats.duplicates,
        staleSkipped: stats.stale,
        deadLettered: stats.deadLettered,
        ordersCorrect,
        orders: orderCount,
        appliedOutOfOrder: watched.outOfOrder(),
        sinkRejected: stats.rejected,
        reconciliation,
        windows,
        freshness,
        alerts: [...alerts],
        ok:
          ordersCorrect === orderCount &&
          watched.outOfOrder() === 0 &&
          stats.rejected === 0 &&
          stats.handled === produced &&
          stats.duplicates === duplicatesSent &&
          stats.stale === lateUpdatesSent &&
          stats.deadLettered === brokenRecordsSent &&
          reconciliation.exact &&
          reconciliation.unreadable === brokenRecordsSent &&
          windows.ok,
      };
    } finally {
      await target.close();
    }
  }
}

/**
 * The sink, watched: counts changes written for an order at or below the revision written for it
 * before (the version gate skips them first, and the sink's own guard would ignore them).
 */
function watchOrder<TEvent>(sink: Sink<TEvent>): { sink: Sink<TEvent>; outOfOrder(): number } {
  const written = new Map<string, number>();
  let outOfOrder = 0;
  return {
    outOfOrder: () => outOfOrder,
    sink: {
      name: sink.name,
      async write(batch, context) {
        const result = await sink.write(batch, context);
        const refused = new Set((result?.rejected ?? []).map(({ index }) => index));
        batch.changes.forEach((change, index) => {
          if (refused.has(index) || change.entityVersion === undefined) return;
          const id = entityKeyId(change.key);
          const before = written.get(id);
          if (before !== undefined && change.entityVersion <= before) outOfOrder += 1;
          else written.set(id, change.entityVersion);
        });
        return result;
      },
      ...(sink.storedOffsets === undefined
        ? {}
        : {
            storedOffsets: (groupId, partitions) =>
              sink.storedOffsets?.(groupId, partitions) ?? Promise.resolve([]),
          }),
      close: () => sink.close(),
    } satisfies Sink<TEvent>,
  };
}

/**
 * The whole topic read again from its start by a consumer of its own (no dedup, no version gate):
 * every update it holds, and how many records no one can read.
 */
async function readTopic<TTopic extends TopicDefinition>(
  transport: KafkaTransport,
  topic: TTopic,
): Promise<{
  updates: { orderId: string; revision: number; status: string }[];
  recordsRead: number;
  unreadable: number;
}> {
  const updates: { orderId: string; revision: number; status: string }[] = [];
  const reader = createConsumer({
    transport,
    groupId: `${topic.name}.reconciliation`,
    topics: [topic],
    autoOffsetReset: 'earliest',
    dedup: false,
    // What cannot be read is counted, and set aside where it does not mix with the demo's own.
    deadLetter: { topic: `${topic.name}.reconciliation-dlq` },
    handle: async (event) => {
      if (isTombstone(event)) return;
      const data = event.data as { orderId: string; revision: number; status: string };
      updates.push({ orderId: data.orderId, revision: data.revision, status: data.status });
    },
  });
  await reader.start();
  try {
    await reader.caughtUp({ timeoutMs: 60_000 });
    const stats = reader.stats();
    return { updates, recordsRead: stats.handled + stats.deadLettered, unreadable: stats.deadLettered };
  } finally {
    await reader.close();
  }
}

/** Deletes the consumer groups named and every topic whose name holds the run's id. */
async function deleteRunLeftovers(
  transport: KafkaTransport,
  runId: string,
  groups: readonly string[],
): Promise<{ topics: string[]; groups: string[] }> {
  const admin = transport.admin();
  try {
    const deletedGroups: string[] = [];
    for (const group of groups) {
      try {
        await admin.deleteGroup(group);
        deletedGroups.push(group);
      } catch {
        // Never created (the run stopped before it) or already gone.
      }
    }
    const topics = (await admin.listTopics()).filter((name) => name.includes(`.${runId}`)).sort();
    if (topics.length > 0) await admin.deleteTopics(topics);
    return { topics, groups: deletedGroups };
  } finally {
    await admin.close();
  }
}
