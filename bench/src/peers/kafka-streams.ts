import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ArmRun } from '../harness';
import { benchKafka, deleteTopics, runJava } from '../kafka';

// The Kafka Streams peer of the windowing benchmark (bench/peers/kafka-streams): one JVM running
// one stream thread, which counts the input topic's records per key and tumbling window and
// writes each window's count once the window closes.

const buildScript = fileURLToPath(new URL('../../peers/kafka-streams/build.sh', import.meta.url));
const mainClass = 'dev.inlet.bench.peer.WindowedCount';

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

export interface KafkaStreamsWindowedCountOptions {
  readonly brokers: readonly string[];
  /** Keys are UTF-8 strings, values Avro in the Confluent wire format, timestamps event times. */
  readonly inputTopic: string;
  /** Gets one record per closed window: key `<key>@<windowStartMs>`, value the count as a string. */
  readonly outputTopic: string;
  /** The app's consumer group and the prefix of its internal topics: give each run its own. */
  readonly applicationId: string;
  /** Records on the input topic: the peer stops once it has read this many. */
  readonly expectedRecords: number;
  readonly windowSizeMs: number;
  readonly graceMs: number;
  readonly processingGuarantee: ProcessingGuarantee;
  /** The Avro schema (the JSON document) the input values were written with. */
  readonly avroSchema: unknown;
  /** The peer fails when it has not read every expected record within this long. Default 300 000. */
  readonly timeoutMs?: number;
  /**
   * How often, in wall-clock ms, Kafka Streams looks for windows that have closed. Default 0 (on
   * every record); Kafka's own default, 1 000, leaves the windows closed by the last records
   * unemitted when nothing arrives after them.
   */
  readonly emitIntervalMs?: number;
  /**
   * How long the window store keeps windows. Default (and at least) window size + grace, as in
   * Kafka Streams. Without the record cache (which the peer turns off), a window still unemitted
   * when stream time jumps past its retention is lost: raise this if the input ends with a record
   * far past the last window.
   */
  readonly retentionMs?: number;
  /** JVM options before the main class. Default `-Xms256m -Xmx1g`. */
  readonly jvmOptions?: readonly string[];
}

/** What the peer prints as its one line of stdout. */
interface PeerSummary {
  readonly records: number;
  readonly wallSeconds: number;
  readonly startupSeconds: number;
  readonly results: number;
  readonly processingCpuSeconds: number;
  readonly closeSeconds: number;
}

/** Builds the peer (bench/peers/kafka-streams/build.sh) and resolves with its Java classpath. */
function buildPeer(): Promise<string> {
  return promisify(execFile)('bash', [buildScript], { maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => stdout.trim(),
    (error: Error & { stderr?: string }) => {
      throw new Error(
        `building the Kafka Streams peer failed:\n${error.stderr?.slice(-4000) ?? error.message}`,
      );
    },
  );
}

// One build per process, shared by every run (build.sh itself skips an up-to-date build).
let peerClasspath: Promise<string> | undefined;
function builtPeerClasspath(): Promise<string> {
  peerClasspath ??= buildPeer();
  return peerClasspath;
}

function peerArguments(options: KafkaStreamsWindowedCountOptions, schemaFile: string): string[] {
  return [
    ['--bootstrap-servers', options.brokers.join(',')],
    ['--input-topic', options.inputTopic],
    ['--output-topic', options.outputTopic],
    ['--application-id', options.applicationId],
    ['--expected-records', String(options.expectedRecords)],
    ['--window-size-ms', String(options.windowSizeMs)],
    ['--grace-ms', String(options.graceMs)],
    ['--processing-guarantee', options.processingGuarantee],
    ['--schema-file', schemaFile],
    ['--timeout-ms', String(options.timeoutMs ?? 300_000)],
    ['--emit-interval-ms', String(options.emitIntervalMs ?? 0)],
    options.retentionMs === undefined ? [] : ['--retention-ms', String(options.retentionMs)],
  ].flat();
}

function parseSummary(stdout: string): PeerSummary {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const summary = JSON.parse(line) as Partial<PeerSummary>;
  for (const field of ['records', 'wallSeconds', 'startupSeconds', 'results'] as const) {
    if (typeof summary[field] !== 'number') {
      throw new Error(`the Kafka Streams peer printed no ${field}: ${line}`);
    }
  }
  return summary as PeerSummary;
}

/**
 * Runs the Kafka Streams peer once over `inputTopic`. `wallSeconds` is the peer's own first to
 * last input record, so JVM start-up and the group join do not count; `childCpuSeconds` is all
 * the CPU the JVM used, start-up and shutdown included (`extra.processingCpuSeconds` is the part
 * between the first and last record).
 */
export async function runKafkaStreamsWindowedCount(
  options: KafkaStreamsWindowedCountOptions,
): Promise<ArmRun> {
  const classpath = await builtPeerClasspath();
  const schemaDir = await mkdtemp(join(tmpdir(), 'inlet-ks-peer-'));
  try {
    const schemaFile = join(schemaDir, 'schema.avsc');
    await writeFile(schemaFile, JSON.stringify(options.avroSchema));
    const jvmOptions = options.jvmOptions ?? ['-Xms256m', '-Xmx1g'];
    const child = await runJava(
      [...jvmOptions, '-cp', classpath, mainClass, ...peerArguments(options, schemaFile)],
      'the Kafka Streams peer',
    );
    const summary = parseSummary(child.stdout);
    return {
      work: summary.records,
      wallSeconds: summary.wallSeconds,
      childCpuSeconds: child.cpuSeconds,
      extra: {
        results: summary.results,
        startupSeconds: summary.startupSeconds,
        processingCpuSeconds: summary.processingCpuSeconds,
        closeSeconds: summary.closeSeconds,
      },
    };
  } finally {
    await rm(schemaDir, { recursive: true, force: true });
  }
}

/**
 * Deletes what runs of the peer leave on the broker: their internal topics and the consumer
 * groups named after their application ids (theirs, and any `<id>-…` of the caller's).
 */
export async function deleteKafkaStreamsLeftovers(
  brokers: readonly string[],
  applicationIds: readonly string[],
): Promise<void> {
  const kafka = benchKafka(brokers, 'bench-ks-cleanup');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ours = (name: string) => applicationIds.some((id) => name === id || name.startsWith(`${id}-`));
    const internal = (await admin.listTopics()).filter(ours);
    if (internal.length > 0) await deleteTopics(kafka, internal);
    const { groups } = await admin.listGroups();
    const groupIds = groups.map((group) => group.groupId).filter(ours);
    // Deleting is tidiness, not part of what is measured.
    if (groupIds.length > 0) await admin.deleteGroups(groupIds).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
