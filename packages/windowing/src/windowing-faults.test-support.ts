import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { createConsumer, isTombstone } from '@inlet/consumer';
import type { KafkaTransport } from '@inlet/core';
import { aggregate, count } from './aggregations';
import { session, tumbling, type WindowKind } from './window-kinds';
import { outputRecord, windowResultTopic } from './window-results';
import type { WindowResultData } from './windowing';
import { batchTumbling, minute, type SaleRecord } from './windowing.test-support';

export { minute };

const run = promisify(execFile);

// What the fault tests share: the input stream, the batch computations results are held to, a
// reader of a whole result topic, and where a group's commits stand.

/**
 * Three hours ago, aligned to the minute. Records are stamped with their event time, and a
 * topic's time retention (7 days by default) deletes records stamped longer ago than it keeps:
 * a fixed date would lose the first results (and inputs) once it is a week old.
 */
export const base = Math.floor(Date.now() / minute) * minute - 3 * 3_600_000;

/** Both figures of a tumbling window in one aggregation, as `batchTumbling` computes them. */
export const countAndSum = aggregate({
  name: 'count-and-sum',
  input: (sale: { readonly data: { readonly amount: number } }) => sale.data.amount,
  init: () => ({ count: 0, sum: 0 }),
  add: (window, amount: number) => ({ count: window.count + 1, sum: window.sum + amount }),
  merge: (left, right) => ({ count: left.count + right.count, sum: left.sum + right.sum }),
});

export interface SalesStream {
  /** The sales the windows count, in the order they are produced. */
  readonly sales: readonly SaleRecord[];
  /** One sale per store far after the rest (not counted): it closes every window. */
  readonly closing: readonly SaleRecord[];
}

/**
 * `count` sales of `stores` stores spread over `spanMs` of event time, in order but for every
 * fifth one, which is up to `disorderMs` behind. Each store pauses 40 s in every 2 minutes (at
 * its own phase), so that sessions with a gap under 40 s end and start again.
 */
export function salesStream(options: {
  readonly count: number;
  readonly stores: number;
  readonly spanMs: number;
  readonly disorderMs: number;
}): SalesStream {
  const { count, stores, spanMs, disorderMs } = options;
  const sales: SaleRecord[] = [];
  const step = spanMs / count;
  for (let index = 0; sales.length < count; index++) {
    const store = index % stores;
    const jitter = index % 5 === 0 ? (index * 7_919) % disorderMs : 0;
    const at = base + Math.floor(index * step) - jitter;
    const phase = (at - base + store * 17_000) % (2 * minute);
    if (phase < 40_000) continue;
    sales.push({ store: `s${store}`, amount: (index % 13) + 1, at });
  }
  const last = Math.max(...sales.map((sale) => sale.at));
  const closing = Array.from({ length: stores }, (_, store) => ({
    store: `s${store}`,
    amount: 0,
    at: last + 60 * minute,
  }));
  return { sales, closing };
}

/**
 * Per session `store@start`, its count: a store's sales less than `gapMs` apart (directly or
 * through sales between them) in one session starting at its first sale.
 */
export function batchSessions(sales: readonly SaleRecord[], gapMs: number): Map<string, number> {
  const timesByStore = new Map<string, number[]>();
  for (const sale of sales) timesByStore.set(sale.store, [...(timesByStore.get(sale.store) ?? []), sale.at]);
  const sessions = new Map<string, number>();
  for (const [store, times] of timesByStore) {
    times.sort((left, right) => left - right);
    let start = times[0] as number;
    let last = start;
    let events = 0;
    for (const time of times) {
      if (time - last >= gapMs) {
        sessions.set(`${store}@${start}`, events);
        start = time;
        events = 0;
      }
      last = time;
      events++;
    }
    sessions.set(`${store}@${start}`, events);
  }
  return sessions;
}

/** A stream in three parts, for a test to produce one after the other: the last closes every window. */
export function inThirds(stream: SalesStream): readonly [SaleRecord[], SaleRecord[], SaleRecord[]] {
  const cut = (share: number) => Math.floor(stream.sales.length * share);
  return [
    stream.sales.slice(0, cut(0.4)),
    stream.sales.slice(cut(0.4), cut(0.7)),
    [...stream.sales.slice(cut(0.7)), ...stream.closing],
  ];
}

/** A windowed aggregation and the batch computation its results must equal. */
export interface FaultPipeline {
  readonly window: WindowKind;
  readonly aggregation: typeof countAndSum | ReturnType<typeof count>;
  readonly batch: (stream: SalesStream) => Map<string, unknown>;
}

export const tumblingCountAndSum: FaultPipeline = {
  window: tumbling({ sizeMs: minute }),
  aggregation: countAndSum,
  batch: (stream) => new Map<string, unknown>(batchTumbling(stream.sales, minute)),
};

/** Session counts: the stream's stores pause 40 s every 2 minutes, so sessions end and start. */
export const sessionGapMs = 20_000;
export const sessionCount: FaultPipeline = {
  window: session({ gapMs: sessionGapMs }),
  aggregation: count(),
  batch: (stream) => new Map<string, unknown>(batchSessions(stream.sales, sessionGapMs)),
};

export interface ResultTopicContents {
  /** `key@startMs` → value, as a downstream upsert reader ends up holding it. */
  readonly windows: Map<string, unknown>;
  /** Result records and retractions read. */
  readonly records: number;
  /** Records of a (window, revision) read before. */
  readonly copies: number;
  /** Windows of which one revision came with two different values. */
  readonly conflicts: readonly string[];
}

/** A result record as read: its entity key, revision, and data (undefined for a retraction). */
interface ResultRecord {
  readonly key: string;
  readonly revision: number;
  readonly data: WindowResultData | undefined;
}

/** Folds result records as a downstream upsert reader does: per window the newest revision; a retraction deletes it. */
class ResultFold {
  readonly #latest = new Map<
    string,
    { revision: number; data: WindowResultData | undefined; text: string }
  >();
  #records = 0;
  #copies = 0;
  readonly #conflicts: string[] = [];

  add({ key, revision, data }: ResultRecord): void {
    this.#records++;
    const text = JSON.stringify(data === undefined ? null : [data.value, data.events]);
    const current = this.#latest.get(key);
    if (current !== undefined && current.revision === revision) {
      this.#copies++;
      if (current.text !== text) this.#conflicts.push(`${key}#${revision}: ${current.text} then ${text}`);
    }
    if (current !== undefined && current.revision >= revision) return;
    this.#latest.set(key, { revision, data, text });
  }

  contents(): ResultTopicContents {
    const windows = new Map<string, unknown>();
    for (const { data } of this.#latest.values())
      if (data !== undefined) windows.set(`${data.windowKey}@${data.startMs}`, data.value);
    return { windows, records: this.#records, copies: this.#copies, conflicts: this.#conflicts };
  }
}

const endMarker = '__end-of-topic__';

/**
 * Reads a whole result topic through `transport`, once its writers are gone: a marker record is
 * sent to each partition, and a read_committed reader folds everything before the markers.
 * On Kafka prefer `readResultTopicWithKcat`: kafkajs 2.2.4 hands a read_committed consumer some
 * records of aborted transactions (seen here: a topic written by several transactional producers,
 * aborted records at its start delivered, which librdkafka filters out), so what it reads shows
 * copies that are not committed, and hides results that were lost with an aborted transaction.
 */
export async function readResultTopic(
  transport: KafkaTransport,
  topic: string,
): Promise<ResultTopicContents> {
  const admin = transport.admin();
  const partitions = await admin.partitionCount(topic).finally(() => admin.close());
  const producer = transport.producer();
  try {
    await producer.send(
      Array.from({ length: partitions }, (_, partition) => ({
        ...outputRecord(topic, endMarker, {
          type: 'result',
          partition: String(partition),
          key: `${endMarker}${partition}`,
          start: 0,
          end: 1,
          value: null,
          events: 1,
          revision: 1,
          final: true,
          correction: false,
        }),
        partition,
      })),
    );
  } finally {
    await producer.close();
  }
  const fold = new ResultFold();
  const markers = new Set<string>();
  const positions = new Set<string>();
  const reader = createConsumer({
    transport,
    groupId: `results-${randomUUID()}`,
    topics: [windowResultTopic(topic)],
    tombstones: 'deliver',
    dedup: false,
    handle: async (event, context) => {
      // The reader's own redelivery (it is at least once) is no copy in the topic.
      const position = `${context.partition}:${context.offset}`;
      if (positions.has(position)) return;
      positions.add(position);
      if (!isTombstone(event) && event.data.windowKey.startsWith(endMarker)) {
        markers.add(event.data.windowKey);
        return;
      }
      fold.add({
        key: typeof event.key === 'string' ? event.key : Buffer.from(event.key).toString('utf8'),
        revision: event.entityVersion ?? 0,
        data: isTombstone(event) ? undefined : event.data,
      });
    },
  });
  await reader.start();
  try {
    await until(() => markers.size === partitions, `the end marker on each partition of ${topic}`, 60_000);
  } finally {
    await reader.close();
  }
  return fold.contents();
}

/**
 * Reads a whole result topic with kcat (librdkafka, whose read_committed is the Java client's),
 * once its writers are gone, and folds it as `readResultTopic` does.
 */
export async function readResultTopicWithKcat(
  brokers: readonly string[],
  topic: string,
): Promise<ResultTopicContents> {
  const { stdout } = await run(
    'kcat',
    [
      '-C',
      '-b',
      brokers.join(','),
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-J',
      '-X',
      'isolation.level=read_committed',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const fold = new ResultFold();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line) as { key: string; payload: string | null; headers?: string[] };
    const headers = record.headers ?? [];
    const version = headers[headers.indexOf('ce_entityversion') + 1];
    fold.add({
      key: record.key,
      revision: Number(version ?? 0),
      data: record.payload === null ? undefined : (JSON.parse(record.payload) as WindowResultData),
    });
  }
  return fold.contents();
}

/** Polls `probe` every 20 ms until it holds, or fails after `timeoutMs` naming `what`. */
export async function until(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  describe: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
