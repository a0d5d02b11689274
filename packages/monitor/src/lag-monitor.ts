import { checkOptions, type KafkaTransport, option, required } from '@inlet/core';
import { type PartitionLag, readGroupLag } from './group-lag';
import { createPeriodicSampler } from './periodic-sampler';

/** One reading of a group's lag. */
export interface LagSample {
  /** When read (ms since the epoch). */
  readonly at: number;
  readonly partitions: readonly PartitionLag[];
  readonly lagEvents: number;
  /** The largest partition lag in seconds. */
  readonly lagSeconds: number;
}

/** Options of {@link createLagMonitor}. */
export interface LagMonitorOptions {
  readonly transport: KafkaTransport;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Default 10 000 ms; a reading still running when the next is due delays it. */
  readonly intervalMs?: number;
  readonly onSample?: (sample: LagSample) => void;
  /** A failed reading; sampling goes on. */
  readonly onError?: (error: unknown) => void;
  readonly timestampTimeoutMs?: number;
  readonly now?: () => number;
  /** Aborting stops sampling, as `close()` does. */
  readonly signal?: AbortSignal;
}

/** Samples a group's lag on an interval. */
export interface LagMonitor extends AsyncDisposable {
  /** The latest successful reading. */
  latest(): LagSample | undefined;
  /** Reads now, outside the interval (after the reading in flight, if one is). */
  sample(): Promise<LagSample>;
  /** Stops sampling and waits for a reading in flight; idempotent. */
  close(): Promise<void>;
}

const lagMonitorOptionShape = {
  transport: required(option.methods('a KafkaTransport', ['consumer', 'admin'])),
  groupId: required(option.nonEmptyString()),
  topics: required(option.arrayOf(option.nonEmptyString(), { minItems: 1 })),
  intervalMs: option.integer({ min: 1 }),
  onSample: option.function('a function (sample) => void'),
  onError: option.function('a function (error) => void'),
  timestampTimeoutMs: option.integer({ min: 1 }),
  now: option.function('a function () => number'),
  signal: option.custom('an AbortSignal', (value) => value instanceof AbortSignal),
};

/** Sums a reading into one sample. */
export function lagSampleOf(at: number, partitions: readonly PartitionLag[]): LagSample {
  return {
    at,
    partitions,
    lagEvents: partitions.reduce((sum, each) => sum + each.lagEvents, 0),
    lagSeconds: Math.max(0, ...partitions.map((each) => each.lagSeconds)),
  };
}

export function createLagMonitor(options: LagMonitorOptions): LagMonitor {
  checkOptions('createLagMonitor', options, lagMonitorOptionShape);
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  let latest: LagSample | undefined;
  const sampler = createPeriodicSampler({
    subject: 'lag monitor',
    intervalMs,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    read: async (signal) => {
      const partitions = await readGroupLag({
        transport: options.transport,
        groupId: options.groupId,
        topics: options.topics,
        now,
        signal,
        ...(options.timestampTimeoutMs === undefined
          ? {}
          : { timestampTimeoutMs: options.timestampTimeoutMs }),
      });
      latest = lagSampleOf(now(), partitions);
      options.onSample?.(latest);
      return latest;
    },
  });
  const { sample, close } = sampler;

  return {
    latest: () => latest,
    sample,
    close,
    [Symbol.asyncDispose]: close,
  };
}
