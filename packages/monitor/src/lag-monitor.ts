import { checkOptions, type KafkaTransport, option, required } from '@inlet/core';
import { type PartitionLag, readGroupLag } from './group-lag';

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
  /** Reads now, outside the interval. */
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
  const stop = new AbortController();
  let latest: LagSample | undefined;
  let inFlight: Promise<LagSample> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const sample = (): Promise<LagSample> => {
    inFlight ??= readGroupLag({
      transport: options.transport,
      groupId: options.groupId,
      topics: options.topics,
      now,
      signal: stop.signal,
      ...(options.timestampTimeoutMs === undefined ? {} : { timestampTimeoutMs: options.timestampTimeoutMs }),
    })
      .then((partitions) => {
        latest = lagSampleOf(now(), partitions);
        options.onSample?.(latest);
        return latest;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const schedule = () => {
    if (closing !== undefined) return;
    timer = setTimeout(() => {
      sample()
        .catch((error: unknown) => {
          if (closing === undefined) options.onError?.(error);
        })
        .finally(schedule);
    }, intervalMs);
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await inFlight?.catch(() => undefined);
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) void close();
  else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
    schedule();
  }

  return {
    latest: () => latest,
    sample,
    close,
    [Symbol.asyncDispose]: close,
  };
}
