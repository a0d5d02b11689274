import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  changelogTopicName,
  count,
  createWindowing,
  tumbling,
  type WindowInput,
  WindowOperator,
} from '@inlet/windowing';
import type { Arm, ArmRun, Scenario } from '../harness';
import { benchKafka, createTopic, deleteTopics } from '../kafka';
import { prefillClicks } from './windowing-kafka';

// What windowing state costs: heap bytes per open window against the plainest Map entry, and
// restoring state from the changelog against reading the same records with raw kafkajs.

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function heapUsed(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

interface Click {
  readonly user: string;
}

const base = Date.UTC(2026, 10, 1);

const stateSize: Scenario = {
  name: 'windowing-state-bytes-per-window',
  group: 'windowing',
  description:
    'heap bytes per open window: WindowOperator holding one tumbling count window for each of 100 000 keys vs a ' +
    'Map<"key|start", { key, start, count }> holding the same (lower is better; extra: changelog bytes per key)',
  unit: 'bytes/window',
  better: 'lower',
  needsKafka: false,
  pairs: 5,
  async prepare({ quick }) {
    const keys = quick ? 20_000 : 100_000;
    const inputs: WindowInput<Click>[] = Array.from({ length: keys }, (_, index) => ({
      key: `user-${index}`,
      time: base + (index % 1_000),
      event: { user: `user-${index}` },
    }));
    const ours: Arm = {
      label: 'WindowOperator state',
      async run(): Promise<ArmRun> {
        const before = heapUsed();
        const operator = new WindowOperator<Click, number>({
          window: tumbling({ sizeMs: 60_000 }),
          aggregation: count(),
        });
        for (let index = 0; index < inputs.length; index += 1_000)
          operator.process('p0', inputs.slice(index, index + 1_000));
        operator.takeChanges('p0');
        const after = heapUsed();
        const windows = operator.stats().openWindows;
        if (windows !== keys) throw new Error(`expected ${keys} open windows, got ${windows}`);
        return {
          work: windows,
          value: (after - before) / windows,
          extra: { changelogBytesPerKey: operator.stateBytes() / keys },
        };
      },
    };
    const baseline: Arm = {
      label: 'Map<"key|start", { key, start, count }>',
      async run(): Promise<ArmRun> {
        const before = heapUsed();
        const windows = new Map<string, { key: string; start: number; count: number }>();
        for (const input of inputs) {
          const start = Math.floor(input.time / 60_000) * 60_000;
          const id = `${input.key}|${start}`;
          const window = windows.get(id);
          if (window === undefined) windows.set(id, { key: input.key, start, count: 1 });
          else window.count++;
        }
        const after = heapUsed();
        if (windows.size !== keys) throw new Error('lost windows');
        return { work: windows.size, value: (after - before) / windows.size };
      },
    };
    return { ours, baseline };
  },
};

const restore: Scenario = {
  name: 'windowing-restore',
  group: 'windowing',
  description:
    'restoring windowing state from the changelog (1 000 000 state entries over 3 partitions: claim, read to the ' +
    'barrier, rebuild the windows) vs raw kafkajs reading the same changelog records from the start and parsing ' +
    'their JSON; each timed from start to state ready',
  unit: 'entries/s',
  better: 'higher',
  needsKafka: true,
  pairs: 3,
  warmupRuns: 0,
  async prepare({ brokers, quick }) {
    const entries = quick ? 30_000 : 1_000_000;
    const prefilled = await prefillClicks(brokers, 3);
    const name = `bench-restore-${randomUUID().slice(0, 8)}`;
    const changelog = changelogTopicName(name, prefilled.topic.name);
    const kafka = benchKafka(brokers);
    await createTopic(kafka, changelog, 3);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let start = 0; start < entries; start += 5_000) {
      const messages = Array.from({ length: Math.min(5_000, entries - start) }, (_, offset) => {
        const index = start + offset;
        return {
          partition: index % 3,
          key: `kuser-${index}`,
          value: JSON.stringify({ w: [[base, base + 60_000, (index % 17) + 1, (index % 17) + 1, 0, 0]] }),
        };
      });
      await producer.send({ topic: changelog, messages });
    }
    await producer.disconnect();
    const ours: Arm = {
      label: 'createWindowing restore (claim + read to barrier + rebuild)',
      async run(): Promise<ArmRun> {
        const began = performance.now();
        const windowing = createWindowing({
          transport: prefilled.transport,
          registry: prefilled.registry,
          name,
          groupId: `${name}-${randomUUID().slice(0, 8)}`,
          topics: [prefilled.topic],
          window: tumbling({ sizeMs: 60_000 }),
          aggregation: count(),
        });
        await windowing.start();
        const deadline = Date.now() + 600_000;
        while (windowing.stats().restored.partitions < 3) {
          if (Date.now() > deadline) throw new Error('restore did not finish in 600 s');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const ready = performance.now();
        const { keys, restored } = windowing.stats();
        await windowing.close();
        if (keys < entries) throw new Error(`restored ${keys} keys of ${entries}`);
        return {
          work: entries,
          wallSeconds: (ready - began) / 1000,
          extra: { restoreMs: restored.ms, records: restored.records },
        };
      },
    };
    const baseline: Arm = {
      label: 'raw kafkajs read + JSON.parse',
      async run(): Promise<ArmRun> {
        const consumer = kafka.consumer({ groupId: `bench-restore-raw-${randomUUID().slice(0, 8)}` });
        const began = performance.now();
        await consumer.connect();
        await consumer.subscribe({ topic: changelog, fromBeginning: true });
        const state = new Map<string, unknown>();
        let done: () => void = () => undefined;
        const finished = new Promise<void>((resolve) => {
          done = resolve;
        });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              // Window keys only: the restores before this run left their barriers (a UUID each).
              if (message.key?.[0] === 0x6b && message.value !== null)
                state.set(message.key.toString(), JSON.parse(message.value.toString()));
            }
            if (state.size >= entries) done();
          },
        });
        await finished;
        const ready = performance.now();
        await consumer.disconnect();
        return { work: state.size, wallSeconds: (ready - began) / 1000 };
      },
    };
    return {
      ours,
      baseline,
      async teardown() {
        await prefilled.cleanup();
        await deleteTopics(kafka, [changelog]);
      },
    };
  },
};

export const windowingStateScenarios: readonly Scenario[] = [stateSize, restore];
