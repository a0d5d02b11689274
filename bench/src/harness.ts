import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** What one timed run of an arm did. */
export interface ArmRun {
  /** Units of work done (events, bytes, lookups). */
  readonly work: number;
  /** The run's own measure, when it is not work per wall second (a latency, say). */
  readonly value?: number;
  /** Wall time measured by the arm itself, e.g. excluding a child JVM's start-up. */
  readonly wallSeconds?: number;
  /** CPU seconds spent outside this process (a child process), added to this process's own. */
  readonly childCpuSeconds?: number;
  /** Other measures of the run (e.g. `p50Ms`), reported as medians beside the main value. */
  readonly extra?: Readonly<Record<string, number>>;
}

export interface Arm {
  /** What this arm runs, e.g. "inlet sendBatch (avro)" or "kafkajs sendBatch". */
  readonly label: string;
  run(): Promise<ArmRun>;
}

export interface ScenarioContext {
  readonly brokers: readonly string[];
  /** A short run for smoke checks (`--quick`): fewer pairs, less work per run. */
  readonly quick: boolean;
}

export interface PreparedScenario {
  readonly ours: Arm;
  readonly baseline: Arm;
  teardown?(): Promise<void>;
}

export interface Scenario {
  /** File name of the result: bench/results/<name>.json. */
  readonly name: string;
  /** The name `pnpm bench <group>` selects it by. */
  readonly group: string;
  readonly description: string;
  /** The unit of `ours` / `baseline` values, e.g. "events/s" or "ms (p99)". */
  readonly unit: string;
  /** Whether a bigger value is better (throughput) or a smaller one (latency). */
  readonly better: 'higher' | 'lower';
  /** Does this scenario need the local Kafka broker? */
  readonly needsKafka: boolean;
  readonly pairs?: number;
  readonly warmupRuns?: number;
  prepare(context: ScenarioContext): Promise<PreparedScenario>;
}

export interface ArmSummary {
  readonly label: string;
  /** Median of the per-run values, in the scenario's unit. */
  readonly value: number;
  readonly values: readonly number[];
  readonly work: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** CPU microseconds spent per unit of work (in this process plus any child process). */
  readonly cpuMicrosPerUnit: number;
  /** CPU seconds the Kafka broker spent while this arm ran, when the broker is ours to watch. */
  readonly brokerCpuSeconds?: number;
  /** Medians of the runs' extra measures. */
  readonly extra?: Readonly<Record<string, number>>;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly ours: ArmSummary;
  readonly baseline: ArmSummary;
  /** Median of the per-pair ratios; above 1 means ours did better, whichever way "better" points. */
  readonly ratio: number;
  readonly pairRatios: readonly number[];
  readonly pairs: number;
  readonly warmupRuns: number;
  readonly environment: BenchEnvironment;
}

export interface BenchEnvironment {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly kafkaVersion: string | undefined;
  readonly gitCommit: string | undefined;
  readonly quick: boolean;
}

interface Sample {
  readonly extra: Readonly<Record<string, number>> | undefined;
  readonly value: number;
  readonly work: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly brokerCpuSeconds: number | undefined;
}

const clockTicksPerSecond = 100;

/** utime + stime of a process, from /proc; undefined when it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / clockTicksPerSecond : undefined;
  } catch {
    return undefined;
  }
}

async function measure(arm: Arm, brokerPid: number | undefined): Promise<Sample> {
  const brokerBefore = processCpuSeconds(brokerPid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const run = await arm.run();
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const brokerAfter = processCpuSeconds(brokerPid);
  const wallSeconds = run.wallSeconds ?? elapsedSeconds;
  return {
    extra: run.extra,
    value: run.value ?? run.work / wallSeconds,
    work: run.work,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6 + (run.childCpuSeconds ?? 0),
    brokerCpuSeconds:
      brokerBefore !== undefined && brokerAfter !== undefined ? brokerAfter - brokerBefore : undefined,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function summarize(label: string, samples: readonly Sample[]): ArmSummary {
  const sum = (pick: (sample: Sample) => number) =>
    samples.reduce((total, sample) => total + pick(sample), 0);
  const work = sum((sample) => sample.work);
  const cpuSeconds = sum((sample) => sample.cpuSeconds);
  const brokerSamples = samples.filter((sample) => sample.brokerCpuSeconds !== undefined);
  const extraNames = [...new Set(samples.flatMap((sample) => Object.keys(sample.extra ?? {})))];
  const extra = Object.fromEntries(
    extraNames.map((name) => [
      name,
      round(median(samples.map((sample) => sample.extra?.[name] ?? Number.NaN))),
    ]),
  );
  return {
    label,
    value: median(samples.map((sample) => sample.value)),
    values: samples.map((sample) => round(sample.value)),
    work,
    wallSeconds: round(sum((sample) => sample.wallSeconds)),
    cpuSeconds: round(cpuSeconds),
    cpuMicrosPerUnit: round((cpuSeconds * 1e6) / Math.max(work, 1)),
    ...(brokerSamples.length === samples.length && samples.length > 0
      ? { brokerCpuSeconds: round(sum((sample) => sample.brokerCpuSeconds ?? 0)) }
      : {}),
    ...(extraNames.length > 0 ? { extra } : {}),
  };
}

function round(value: number): number {
  return Number(value.toPrecision(6));
}

export interface RunOptions {
  readonly context: ScenarioContext;
  readonly environment: BenchEnvironment;
  readonly brokerPid: number | undefined;
  readonly log: (line: string) => void;
}

/**
 * Runs warm-up, then pairs interleaved A-B-B-A (ours first in even pairs, baseline first in odd
 * ones) so drift in the machine or the broker hits both arms alike.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const { context, log } = options;
  const pairs = context.quick ? 2 : Math.max(5, scenario.pairs ?? 6);
  const warmupRuns = context.quick ? 1 : (scenario.warmupRuns ?? 1);
  const prepared = await scenario.prepare(context);
  try {
    for (let run = 0; run < warmupRuns; run += 1) {
      await prepared.ours.run();
      await prepared.baseline.run();
    }
    const ours: Sample[] = [];
    const baseline: Sample[] = [];
    const pairRatios: number[] = [];
    for (let pair = 0; pair < pairs; pair += 1) {
      const order = pair % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
      const measured: Partial<Record<'ours' | 'baseline', Sample>> = {};
      for (const side of order) {
        measured[side] = await measure(prepared[side], options.brokerPid);
      }
      const oursSample = measured.ours as Sample;
      const baselineSample = measured.baseline as Sample;
      ours.push(oursSample);
      baseline.push(baselineSample);
      const ratio =
        scenario.better === 'higher'
          ? oursSample.value / baselineSample.value
          : baselineSample.value / oursSample.value;
      pairRatios.push(round(ratio));
      log(
        `  pair ${pair + 1}/${pairs}: ours ${format(oursSample.value)} ${scenario.unit}, ` +
          `baseline ${format(baselineSample.value)} ${scenario.unit}, ratio ${ratio.toFixed(3)}`,
      );
    }
    const oursSummary = summarize(prepared.ours.label, ours);
    const baselineSummary = summarize(prepared.baseline.label, baseline);
    return {
      scenario: scenario.name,
      description: scenario.description,
      unit: scenario.unit,
      better: scenario.better,
      ours: { ...oursSummary, value: round(oursSummary.value) },
      baseline: { ...baselineSummary, value: round(baselineSummary.value) },
      ratio: round(median(pairRatios)),
      pairRatios,
      pairs,
      warmupRuns,
      environment: options.environment,
    };
  } finally {
    await prepared.teardown?.();
  }
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(3);
}

export function benchEnvironment(quick: boolean, kafkaVersion: string | undefined): BenchEnvironment {
  let gitCommit: string | undefined;
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    gitCommit = undefined;
  }
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kafkaVersion,
    gitCommit,
    quick,
  };
}

/** The value at `fraction` (0.99: p99) of the sorted values; NaN for none. */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}
