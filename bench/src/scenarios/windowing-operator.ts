import { count, tumbling, type WindowInput, WindowOperator } from '@inlet/windowing';
import type { Arm, ArmRun, Scenario } from '../harness';

// The windowing operator in process: a tumbling count over 10 000 keys, the watermark advanced
// after every 1 000 events, against the loop anyone would write first: a Map from
// "key|window start" to a count, and a sweep that emits and deletes windows the watermark passed.

const keys = 10_000;
const windowMs = 60_000;
const batchSize = 1_000;
const base = Date.UTC(2026, 10, 1);

interface Click {
  readonly user: string;
}

function events(total: number): WindowInput<Click>[] {
  const users = Array.from({ length: keys }, (_, index) => `user-${index}`);
  // One event per millisecond of event time, keys in a scrambled order, some 0–2 s behind.
  return Array.from({ length: total }, (_, index) => {
    const user = users[(index * 7_919) % keys] as string;
    const time = base + index - (index % 10 === 0 ? (index * 13) % 2_000 : 0);
    return { key: user, time, event: { user } };
  });
}

function cpuRun(work: () => number, units: number): ArmRun {
  const before = process.cpuUsage();
  const results = work();
  const used = process.cpuUsage(before);
  if (results === 0) throw new Error('emitted no results');
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { work: units, value: units / cpuSeconds, extra: { results } };
}

const operatorCount: Scenario = {
  name: 'windowing-operator-tumbling-count',
  group: 'windowing',
  description:
    `WindowOperator: tumbling ${windowMs / 1000} s count, ${keys} keys, watermark (max event time − 2 s) after each ` +
    `${batchSize} events, final results collected vs a plain Map<"key|start", count> with the same batches and a ` +
    'sweep of the map whenever the watermark passes a window end; events per CPU-second (target ≥ 2M)',
  unit: 'events/CPU-s',
  better: 'higher',
  needsKafka: false,
  pairs: 7,
  async prepare({ quick }) {
    const inputs = events(quick ? 200_000 : 2_000_000);
    const ours: Arm = {
      label: 'WindowOperator (tumbling count)',
      async run() {
        return cpuRun(() => {
          const operator = new WindowOperator<Click, number>({
            window: tumbling({ sizeMs: windowMs }),
            aggregation: count(),
            outOfOrdernessMs: 2_000,
          });
          let results = 0;
          for (let index = 0; index < inputs.length; index += batchSize) {
            operator.process('p0', inputs.slice(index, index + batchSize));
            results += operator.takeOutputs().length;
          }
          return results;
        }, inputs.length);
      },
    };
    const baseline: Arm = {
      label: 'plain Map loop',
      async run() {
        return cpuRun(() => {
          const windows = new Map<string, { key: string; start: number; count: number }>();
          const emitted: { key: string; start: number; count: number }[] = [];
          let maxTime = Number.NEGATIVE_INFINITY;
          let nextEnd = Number.POSITIVE_INFINITY;
          for (let index = 0; index < inputs.length; index += batchSize) {
            const end = Math.min(index + batchSize, inputs.length);
            for (let at = index; at < end; at++) {
              const input = inputs[at] as WindowInput<Click>;
              const start = Math.floor(input.time / windowMs) * windowMs;
              const id = `${input.key}|${start}`;
              const window = windows.get(id);
              if (window === undefined) windows.set(id, { key: input.key, start, count: 1 });
              else window.count++;
              if (start + windowMs < nextEnd) nextEnd = start + windowMs;
              if (input.time > maxTime) maxTime = input.time;
            }
            const watermark = maxTime - 2_000;
            if (watermark >= nextEnd) {
              nextEnd = Number.POSITIVE_INFINITY;
              for (const [id, window] of windows) {
                if (window.start + windowMs <= watermark) {
                  emitted.push(window);
                  windows.delete(id);
                } else if (window.start + windowMs < nextEnd) nextEnd = window.start + windowMs;
              }
            }
          }
          return emitted.length;
        }, inputs.length);
      },
    };
    return { ours, baseline };
  },
};

export const windowingOperatorScenarios: readonly Scenario[] = [operatorCount];
