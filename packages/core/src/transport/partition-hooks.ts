import { InletError, InletErrorCode } from '../errors';
import type { TopicPartition, TopicPartitionOffset } from './transport';

// For transport implementations: how a transport runs a consumer's partition lifecycle hooks.

/** What a hook gave: its value, or nothing when it threw, rejected or ran out of time. */
export type HookOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

export interface SettleHookOptions {
  /** The hook's name, for the error reported. */
  readonly name: string;
  /** Stops waiting after this long; the hook itself cannot be stopped. */
  readonly timeoutMs?: number;
  readonly report: (error: InletError) => void;
}

/**
 * Runs a user's hook so that nothing it does reaches the transport: a synchronous throw or a
 * rejection is reported as INLET_HANDLER_FAILED, a hook still running after `timeoutMs` as
 * INLET_TIMEOUT, and the promise returned always resolves.
 */
export async function settleHook<T>(
  call: () => Promise<T> | T,
  options: SettleHookOptions,
): Promise<HookOutcome<T>> {
  const running = new Promise<T>((resolve) => resolve(call())).then(
    (value): HookOutcome<T> => ({ ok: true, value }),
    (cause: unknown): HookOutcome<T> => {
      options.report(new InletError(InletErrorCode.handlerFailed, `${options.name} failed`, { cause }));
      return { ok: false };
    },
  );
  const { timeoutMs } = options;
  if (timeoutMs === undefined) return running;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<HookOutcome<T>>((resolve) => {
    timer = setTimeout(() => {
      options.report(
        new InletError(
          InletErrorCode.timeout,
          `${options.name} did not settle within ${timeoutMs} ms; the consumer goes on without it`,
        ),
      );
      resolve({ ok: false });
    }, timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const partitionKey = ({ topic, partition }: TopicPartition) => `${partition}:${topic}`;

const decimalOffset = /^(0|[1-9]\d*)$/;

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The start offsets an assignment hook returned, each checked to be a decimal offset of a
 * partition of that assignment. Anything else is reported and left out: its partition starts
 * from its committed offset, as if the hook had said nothing about it.
 */
export function checkedStartOffsets(
  returned: unknown,
  assignment: readonly TopicPartition[],
  report: (error: InletError) => void,
): TopicPartitionOffset[] {
  if (returned === undefined || returned === null) return [];
  const refuse = (what: string) =>
    report(
      new InletError(
        InletErrorCode.handlerFailed,
        `onPartitionsAssigned returned ${what}; the partitions it names start from their committed offsets`,
      ),
    );
  if (!Array.isArray(returned)) {
    refuse(`${describe(returned)}, not a list of offsets`);
    return [];
  }
  const assigned = new Set(assignment.map(partitionKey));
  const offsets: TopicPartitionOffset[] = [];
  for (const entry of returned as unknown[]) {
    const { topic, partition, offset } = (entry ?? {}) as Partial<Record<string, unknown>>;
    if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'string') {
      refuse(`${describe(entry)}, not a { topic, partition, offset }`);
    } else if (!assigned.has(partitionKey({ topic, partition }))) {
      refuse(`an offset for ${topic}/${partition}, which is not in the assignment`);
    } else if (!decimalOffset.test(offset)) {
      refuse(`offset ${describe(offset)} for ${topic}/${partition}, not a decimal offset`);
    } else {
      offsets.push({ topic, partition, offset });
    }
  }
  return offsets;
}
