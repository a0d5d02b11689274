import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnyAggregation,
  aggregate,
  avg,
  count,
  distinctCount,
  max,
  min,
  reduce,
  sum,
} from './aggregations';
import {
  type ExpectedWindow,
  type OracleOptions,
  type OracleRun,
  runBatchOracle,
  type ScheduleStep,
  windowId,
} from './batch-oracle.test-support';
import { hopping, session, sliding, tumbling, type WindowKind } from './window-kinds';
import {
  type EmitMode,
  type EncodedKeyState,
  type LateEvent,
  type LateOutcome,
  type LatePolicy,
  type PartitionChanges,
  type WindowInput,
  WindowOperator,
  type WindowOutput,
} from './window-operator';

interface Sale {
  readonly id: number;
  readonly amount: number;
  readonly tag: string;
}

/** An aggregation for the operator, and the same figure computed plainly from a window's events. */
interface AggregationCase {
  readonly name: string;
  readonly aggregation: AnyAggregation<Sale>;
  readonly expected: (sales: readonly Sale[]) => unknown;
}

const amounts = (sales: readonly Sale[]) => sales.map((sale) => sale.amount);
const total = (sales: readonly Sale[]) => amounts(sales).reduce((left, right) => left + right, 0);

const aggregationCases: readonly AggregationCase[] = [
  { name: 'count', aggregation: count<Sale>(), expected: (sales) => sales.length },
  { name: 'sum', aggregation: sum((sale: Sale) => sale.amount), expected: total },
  {
    name: 'min',
    aggregation: min((sale: Sale) => sale.amount),
    expected: (sales) => Math.min(...amounts(sales)),
  },
  {
    name: 'max',
    aggregation: max((sale: Sale) => sale.amount),
    expected: (sales) => Math.max(...amounts(sales)),
  },
  {
    name: 'avg',
    aggregation: avg((sale: Sale) => sale.amount),
    expected: (sales) => total(sales) / sales.length,
  },
  {
    name: 'distinctCount',
    aggregation: distinctCount((sale: Sale) => sale.tag),
    expected: (sales) => new Set(sales.map((sale) => sale.tag)).size,
  },
  {
    name: 'reduce (max)',
    aggregation: reduce((sale: Sale) => sale.amount, Math.max),
    expected: (sales) => Math.max(...amounts(sales)),
  },
  {
    // Which events exactly, whatever order the operator folded or merged them in. It changes
    // its accumulator in place, as an aggregation may: windows sharing one would show.
    name: 'aggregate (ids)',
    aggregation: aggregate({
      name: 'ids',
      input: (sale: Sale) => sale.id,
      init: (): number[] => [],
      add: (ids: number[], id: number) => {
        ids.push(id);
        return ids;
      },
      merge: (left: number[], right: number[]) => {
        left.push(...right);
        return left;
      },
      result: (ids: number[]) => [...ids].sort((a, b) => a - b),
    }),
    expected: (sales) => sales.map((sale) => sale.id).sort((a, b) => a - b),
  },
  {
    // The accumulator is the result: an emitted value must not change when the window does later.
    name: 'aggregate (ids, accumulator as result)',
    aggregation: aggregate({
      input: (sale: Sale) => sale.id,
      init: (): number[] => [],
      add: (ids: number[], id: number) => {
        ids.push(id);
        return ids.sort((a, b) => a - b);
      },
      merge: (left: number[], right: number[]) => {
        left.push(...right);
        return left.sort((a, b) => a - b);
      },
    }),
    expected: (sales) => sales.map((sale) => sale.id).sort((a, b) => a - b),
  },
];

interface DifferentialCase {
  readonly options: OracleOptions;
  readonly emit: EmitMode;
  readonly aggregation: AggregationCase;
  readonly schedule: readonly ScheduleStep<Sale>[];
}

// ---------- generators ----------

const hotKeys = ['h0', 'h1'];
const coldKeys = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
const allKeys = [...hotKeys, ...coldKeys];
/** A key's events come from one partition, as with Kafka's key partitioning. */
const partitionOf = (key: string, partitions: number) => `p${allKeys.indexOf(key) % partitions}`;

/** Mostly small against the events' spacing (many windows, much overlap), sometimes large. */
const durationMs = (small: number, large: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: small }) },
    { weight: 1, arbitrary: fc.integer({ min: small + 1, max: large }) },
  );

const windowKindArbitrary = {
  tumbling: durationMs(60, 250).chain((sizeMs) =>
    fc.integer({ min: 0, max: sizeMs - 1 }).map((offsetMs) => tumbling({ sizeMs, offsetMs })),
  ),
  hopping: durationMs(60, 250).chain((sizeMs) =>
    // At most 30 windows per event keeps a case fast.
    fc
      .integer({ min: Math.max(1, Math.ceil(sizeMs / 30)), max: sizeMs })
      .chain((advanceMs) =>
        fc
          .integer({ min: 0, max: advanceMs - 1 })
          .map((offsetMs) => hopping({ sizeMs, advanceMs, offsetMs })),
      ),
  ),
  sliding: durationMs(50, 200).map((sizeMs) => sliding({ sizeMs })),
  session: durationMs(40, 150).map((gapMs) => session({ gapMs })),
} satisfies Record<WindowKind['kind'], fc.Arbitrary<WindowKind>>;

const smallMs = fc.oneof(fc.constant(0), durationMs(30, 120));

const latePolicyArbitrary = {
  drop: fc.constant<LatePolicy>({ policy: 'drop' }),
  'side-output': fc.constant<LatePolicy>({ policy: 'side-output' }),
  update: fc
    .oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 50, max: 500 }))
    .map((retainMs): LatePolicy => ({ policy: 'update', retainMs })),
} satisfies Record<LatePolicy['policy'], fc.Arbitrary<LatePolicy>>;

/** How far back an event is from the stream's running time. */
const disorderArbitrary = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'in-order' as const, back: 0 }) },
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: 30 }).map((back) => ({ kind: 'within' as const, back })),
  },
  {
    weight: 3,
    arbitrary: fc.integer({ min: 1, max: 90 }).map((back) => ({ kind: 'beyond' as const, back })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }).map((back) => ({ kind: 'far' as const, back })) },
);

const eventDraftArbitrary = fc.record({
  key: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...hotKeys) },
    { weight: 1, arbitrary: fc.constantFrom(...coldKeys) },
  ),
  advance: fc.integer({ min: 0, max: 15 }),
  disorder: disorderArbitrary,
  amount: fc.integer({ min: -5, max: 20 }),
  tag: fc.constantFrom('x', 'y', 'z'),
});

const planStepArbitrary = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      partition: fc.nat(2),
      // 0: an empty fetch, which is no arrival (it does not keep its partition from going idle).
      size: fc.integer({ min: 0, max: 6 }),
      advanceClockMs: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), advanceClockMs: fc.nat(400) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('caught-up' as const),
      partition: fc.nat(2),
      caughtUp: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rebalance' as const), partition: fc.nat(2) }) },
);

type EventDraft = typeof eventDraftArbitrary extends fc.Arbitrary<infer T> ? T : never;
type PlanStep = typeof planStepArbitrary extends fc.Arbitrary<infer T> ? T : never;

interface StreamShape {
  readonly partitions: number;
  readonly events: readonly EventDraft[];
  readonly plan: readonly PlanStep[];
  /** One partition delivers nothing until this plan step (it goes idle while the clock runs). */
  readonly pause: { readonly partition: number; readonly until: number } | null;
  readonly flush: 'far-future-event' | 'quiet';
}

const streamShapeArbitrary = fc.record({
  partitions: fc.integer({ min: 1, max: 3 }),
  events: fc.array(eventDraftArbitrary, { minLength: 1, maxLength: 60, size: 'medium' }),
  plan: fc.array(planStepArbitrary, { maxLength: 40, size: 'medium' }),
  pause: fc.option(fc.record({ partition: fc.nat(2), until: fc.nat(40) })),
  flush: fc.constantFrom('far-future-event' as const, 'quiet' as const),
});

/** Turns a drawn shape into a schedule: per-partition order kept, batching and clock drawn. */
function scheduleOf(shape: StreamShape, flushByQuiet: boolean): ScheduleStep<Sale>[] {
  const names = Array.from({ length: shape.partitions }, (_, index) => `p${index}`);
  const pending = new Map<string, WindowInput<Sale>[]>(names.map((p) => [p, []]));
  let running = -150;
  shape.events.forEach((draft, id) => {
    running += draft.advance;
    const time = running - draft.disorder.back;
    pending.get(partitionOf(draft.key, shape.partitions))?.push({
      key: draft.key,
      time,
      event: { id, amount: draft.amount, tag: draft.tag },
    });
  });
  const schedule: ScheduleStep<Sale>[] = [];
  const revoked = new Set<string>();
  const paused = (p: number, at: number) =>
    revoked.has(`p${p}`) ||
    (shape.pause !== null && shape.pause.partition % shape.partitions === p && at < shape.pause.until);
  shape.plan.forEach((step, at) => {
    if (step.kind === 'tick' || step.kind === 'restart') {
      schedule.push(step);
      return;
    }
    const chosen = step.partition % shape.partitions;
    if (step.kind === 'caught-up') {
      schedule.push({ kind: 'caught-up', partition: `p${chosen}`, caughtUp: step.caughtUp });
      return;
    }
    if (step.kind === 'rebalance') {
      // Takes the partition away, or gives it back; never the last one owned.
      const partition = `p${chosen}`;
      if (revoked.delete(partition)) schedule.push({ kind: 'assign', partition });
      else if (revoked.size < shape.partitions - 1) {
        revoked.add(partition);
        schedule.push({ kind: 'revoke', partition });
      }
      return;
    }
    if (revoked.has(`p${chosen}`)) return;
    if (step.size === 0) {
      schedule.push({
        kind: 'batch',
        partition: `p${chosen}`,
        events: [],
        advanceClockMs: step.advanceClockMs,
      });
      return;
    }
    const order = names.map((_, i) => (chosen + i) % shape.partitions);
    const from = order.find((p) => !paused(p, at) && (pending.get(`p${p}`)?.length ?? 0) > 0);
    if (from === undefined) {
      schedule.push({ kind: 'tick', advanceClockMs: step.advanceClockMs });
      return;
    }
    const events = pending.get(`p${from}`)?.splice(0, step.size) ?? [];
    schedule.push({ kind: 'batch', partition: `p${from}`, events, advanceClockMs: step.advanceClockMs });
  });
  for (const partition of revoked) schedule.push({ kind: 'assign', partition });
  for (let left = true; left; ) {
    left = false;
    for (const p of names) {
      const events = pending.get(p)?.splice(0, 4) ?? [];
      if (events.length > 0) {
        left = true;
        schedule.push({ kind: 'batch', partition: p, events, advanceClockMs: 5 });
      }
    }
  }
  if (flushByQuiet) {
    for (const p of names) schedule.push({ kind: 'caught-up', partition: p, caughtUp: true });
    schedule.push({ kind: 'tick', advanceClockMs: 10_000_000 });
  } else {
    for (const p of names) {
      const flush = { key: `flush-${p}`, time: 1_000_000, event: { id: -1, amount: 0, tag: 'flush' } };
      schedule.push({ kind: 'batch', partition: p, events: [flush], advanceClockMs: 0 });
    }
  }
  return schedule;
}

function differentialCaseArbitrary(
  kind: WindowKind['kind'],
  policy: LatePolicy['policy'],
): fc.Arbitrary<DifferentialCase> {
  return fc
    .record({
      window: windowKindArbitrary[kind],
      late: latePolicyArbitrary[policy],
      outOfOrdernessMs: smallMs,
      graceMs: smallMs,
      idleTimeoutMs: fc.option(fc.integer({ min: 30, max: 300 }), { nil: undefined }),
      quiet: fc.option(
        fc.record({
          afterMs: fc.nat(200),
          maxDelayMs: fc.option(fc.nat(50), { nil: undefined }),
        }),
        { nil: undefined, freq: 2 },
      ),
      emit: fc.constantFrom<EmitMode>('final', 'update'),
      aggregation: fc.constantFrom(...aggregationCases),
      shape: streamShapeArbitrary,
    })
    .map(({ shape, emit, aggregation, quiet, idleTimeoutMs, ...rest }) => {
      const partitions = Array.from({ length: shape.partitions }, (_, index) => `p${index}`);
      const quietRule = quiet === undefined ? undefined : withoutUndefined(quiet);
      const options: OracleOptions = {
        ...rest,
        partitions,
        ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
        ...(quietRule === undefined ? {} : { quiet: quietRule }),
      };
      const schedule = scheduleOf(shape, shape.flush === 'quiet' && quietRule !== undefined);
      return { options, emit, aggregation, schedule };
    });
}

function withoutUndefined(quiet: { afterMs: number; maxDelayMs: number | undefined }) {
  return quiet.maxDelayMs === undefined
    ? { afterMs: quiet.afterMs }
    : { afterMs: quiet.afterMs, maxDelayMs: quiet.maxDelayMs };
}

// ---------- running the operator ----------

interface OperatorRun {
  readonly outputs: readonly { readonly step: number; readonly output: WindowOutput<unknown> }[];
  readonly lateEvents: readonly { readonly step: number; readonly late: LateEvent<Sale> }[];
  /** `stats()` counters, summed over the instances a restart replaced. */
  readonly lateCounts: Readonly<Record<string, number>>;
  readonly outputCounts: { readonly results: number; readonly retractions: number };
}

/** What the changelog topic would hold for a partition: the last state written per key, and its time. */
interface PartitionChangelog {
  /** As the topic carries them: JSON. */
  readonly keys: Map<string, string>;
  time: PartitionChanges['time'];
}

function runOperator(testCase: DifferentialCase): OperatorRun {
  let now = 0;
  const { partitions, ...options } = testCase.options;
  const changelogs = new Map<string, PartitionChangelog>(
    partitions.map((p) => [p, { keys: new Map(), time: { maxEventTime: null, watermark: null } }]),
  );
  const owned = new Set(partitions);
  const assign = (into: WindowOperator<Sale, unknown>, p: string) => {
    const changelog = changelogs.get(p);
    const keys = [...(changelog?.keys ?? [])].map(
      ([key, json]) => [key, JSON.parse(json) as EncodedKeyState] as const,
    );
    into.assign(p, { keys, time: changelog?.time ?? { maxEventTime: null, watermark: null } });
    into.setCaughtUp(p, false);
  };
  const start = () => {
    const started = new WindowOperator<Sale, unknown>({
      ...options,
      aggregation: testCase.aggregation.aggregation,
      emit: testCase.emit,
      clock: () => now,
    });
    for (const p of owned) assign(started, p);
    return started;
  };
  let operator = start();
  const outputs: { step: number; output: WindowOutput<unknown> }[] = [];
  const lateEvents: { step: number; late: LateEvent<Sale> }[] = [];
  const lateCounts: Record<LateOutcome, number> = { dropped: 0, 'side-output': 0, updated: 0, expired: 0 };
  const outputCounts = { results: 0, retractions: 0 };
  const countLate = () => {
    const stats = operator.stats();
    for (const [outcome, counted] of Object.entries(stats.late) as [LateOutcome, number][]) {
      lateCounts[outcome] += counted;
    }
    outputCounts.results += stats.results;
    outputCounts.retractions += stats.retractions;
  };
  testCase.schedule.forEach((step, index) => {
    if (step.kind === 'batch' || step.kind === 'tick') now += step.advanceClockMs;
    if (step.kind === 'batch') {
      const refused = operator.process(step.partition, step.events);
      expect(refused).toEqual([]);
    } else if (step.kind === 'tick') {
      operator.tick();
    } else if (step.kind === 'restart') {
      countLate();
      operator = start();
    } else if (step.kind === 'revoke') {
      operator.revoke(step.partition);
      owned.delete(step.partition);
    } else if (step.kind === 'assign') {
      assign(operator, step.partition);
      owned.add(step.partition);
    } else {
      operator.setCaughtUp(step.partition, step.caughtUp);
    }
    for (const output of operator.takeOutputs()) outputs.push({ step: index, output });
    for (const late of operator.takeLateEvents()) lateEvents.push({ step: index, late });
    for (const [p, changelog] of changelogs) {
      if (!owned.has(p)) continue;
      const changes = operator.takeChanges(p);
      for (const [key, state] of changes.keys) {
        if (state === null) changelog.keys.delete(key);
        else changelog.keys.set(key, JSON.stringify(state));
      }
      changelog.time = changes.time;
    }
  });
  countLate();
  return { outputs, lateEvents, lateCounts, outputCounts };
}

// ---------- comparing ----------

function expectedValue(testCase: DifferentialCase, window: ExpectedWindow<Sale>) {
  return {
    value: testCase.aggregation.expected(window.events.map((e) => e.input.event)),
    events: window.events.length,
  };
}

/** (a) The last standing result of each window, after retractions, is the batch result. */
function checkFinalResults(testCase: DifferentialCase, run: OperatorRun, oracle: OracleRun<Sale>) {
  const last = testCase.schedule.length - 1;
  const standing = new Map<string, { value: unknown; events: number }>();
  for (const { output } of run.outputs) {
    const id = windowId(output.key, output);
    if (output.type === 'retraction') standing.delete(id);
    else standing.set(id, { value: output.value, events: output.events });
  }
  const expected = new Map<string, { value: unknown; events: number }>();
  for (const [id, window] of oracle.windowsAfter(last)) {
    const emitted = testCase.emit === 'update' || oracle.isClosedAfter(last, window.partition, window);
    if (emitted) expected.set(id, expectedValue(testCase, window));
  }
  const got = Object.fromEntries([...standing].sort());
  const want = Object.fromEntries([...expected].sort());
  if (!isDeepStrictEqual(got, want)) expect(got).toEqual(want);
}

/** (b) and (c): the late events, their windows and outcomes; the counters, of results too. */
function checkLateEvents(run: OperatorRun, oracle: OracleRun<Sale>) {
  const reported = run.lateEvents.map(({ step, late }) => ({
    step,
    partition: late.partition,
    key: late.key,
    time: late.time,
    event: late.event,
    watermark: late.watermark,
    windows: late.windows.map(({ start, end }) => ({ start, end })).sort((a, b) => a.start - b.start),
    outcome: late.outcome,
  }));
  if (!isDeepStrictEqual(reported, oracle.lateEvents)) expect(reported).toEqual(oracle.lateEvents);
  const counted: Record<string, number> = { dropped: 0, 'side-output': 0, updated: 0, expired: 0 };
  for (const { late } of run.lateEvents) counted[late.outcome] = (counted[late.outcome] ?? 0) + 1;
  expect(run.lateCounts).toEqual(counted);
  const results = run.outputs.filter(({ output }) => output.type === 'result').length;
  expect(run.outputCounts).toEqual({ results, retractions: run.outputs.length - results });
}

/**
 * (d) and (e): every result holds the window's batch result at that step (early results,
 * finals and corrections alike), revisions increase, `final` is set exactly once the window is
 * closed, nothing but corrections follows a final, and a retracted window no longer exists.
 */
function checkEmissions(testCase: DifferentialCase, run: OperatorRun, oracle: OracleRun<Sale>) {
  // Problems are collected as text and asserted once: an expect per output is what made this slow.
  const problems: string[] = [];
  const revisions = new Map<string, number>();
  const finalSeen = new Set<string>();
  const lastFinal = new Map<string, boolean>();
  for (const { step, output } of run.outputs) {
    const id = windowId(output.key, output);
    const window = oracle.windowsAfter(step).get(id);
    const problem = (what: string) =>
      problems.push(`step ${step} ${output.type} ${id} r${output.revision}: ${what}`);
    if (output.type === 'retraction') {
      if (window !== undefined) problem('retracted, yet the window stands');
      continue;
    }
    if (window === undefined) {
      problem('no such window in the oracle');
      continue;
    }
    const expected = expectedValue(testCase, window);
    if (!isDeepStrictEqual({ value: output.value, events: output.events }, expected)) {
      problem(`holds ${JSON.stringify([output.value, output.events])}, expected ${JSON.stringify(expected)}`);
    }
    if (oracle.isClosedAfter(step, output.partition, output) !== output.final)
      problem(`final ${output.final}`);
    if (testCase.emit === 'final' && !output.final) problem('not final under emit: final');
    if (output.revision <= (revisions.get(id) ?? 0)) problem(`revision after ${revisions.get(id)}`);
    if (finalSeen.has(id) && !output.correction) problem('after the final, not a correction');
    revisions.set(id, output.revision);
    if (output.final) finalSeen.add(id);
    lastFinal.set(id, output.final);
  }
  const last = testCase.schedule.length - 1;
  for (const [id, window] of oracle.windowsAfter(last)) {
    if (oracle.isClosedAfter(last, window.partition, window) && lastFinal.get(id) !== true) {
      problems.push(`${id}: closed, but its last result is not final`);
    }
  }
  expect(problems).toEqual([]);
}

/**
 * (d), which windows get a result at each step: under `emit: 'update'` every window the step
 * changed; under `final` those it changed that are closed (corrections); under both, every
 * window the step closed. Nothing else is emitted.
 */
function checkWhatIsEmitted(testCase: DifferentialCase, run: OperatorRun, oracle: OracleRun<Sale>) {
  const problems: string[] = [];
  const emittedAt = new Map<number, Set<string>>();
  for (const { step, output } of run.outputs) {
    if (output.type !== 'result') continue;
    const ids = emittedAt.get(step) ?? new Set<string>();
    ids.add(windowId(output.key, output));
    emittedAt.set(step, ids);
  }
  const contents = (window: ExpectedWindow<Sale> | undefined) =>
    window?.events.map((e) => e.sequence).join(',');
  let before: ReadonlyMap<string, ExpectedWindow<Sale>> = new Map();
  testCase.schedule.forEach((_, step) => {
    const after = oracle.windowsAfter(step);
    const expected = new Set<string>();
    for (const [id, window] of after) {
      const closed = oracle.isClosedAfter(step, window.partition, window);
      const wasClosed = before.has(id) && oracle.isClosedAfter(step - 1, window.partition, window);
      const changed = contents(before.get(id)) !== contents(window);
      if ((changed && (testCase.emit === 'update' || closed)) || (closed && !wasClosed)) expected.add(id);
    }
    const got = [...(emittedAt.get(step) ?? [])].sort();
    const want = [...expected].sort();
    if (!isDeepStrictEqual(got, want))
      problems.push(`step ${step}: results for ${got}, expected for ${want}`);
    before = after;
  });
  expect(problems).toEqual([]);
}

/** A failing case, short enough to read: options, then one line per step. */
function describeCase(testCase: DifferentialCase): string {
  const steps = testCase.schedule.map((step, index) => {
    if (step.kind === 'tick') return `${index} tick +${step.advanceClockMs}`;
    if (step.kind === 'restart') return `${index} restart`;
    if (step.kind === 'revoke' || step.kind === 'assign') return `${index} ${step.kind} ${step.partition}`;
    if (step.kind === 'caught-up') return `${index} caught-up ${step.partition} ${step.caughtUp}`;
    const events = step.events.map(
      (e) => `${e.key}@${e.time}#${e.event.id}(${e.event.amount},${e.event.tag})`,
    );
    return `${index} batch ${step.partition} +${step.advanceClockMs}: ${events.join(' ')}`;
  });
  const { options, emit, aggregation } = testCase;
  return [JSON.stringify({ ...options, emit, aggregation: aggregation.name }), ...steps].join('\n');
}

function checkCase(testCase: DifferentialCase) {
  const oracle = runBatchOracle(testCase.options, testCase.schedule);
  const run = runOperator(testCase);
  try {
    checkLateEvents(run, oracle);
    checkFinalResults(testCase, run, oracle);
    checkEmissions(testCase, run, oracle);
    checkWhatIsEmitted(testCase, run, oracle);
  } catch (error) {
    if (error instanceof Error) error.message = `${error.message}\n--- case ---\n${describeCase(testCase)}`;
    throw error;
  }
}

const runsPerProperty = Number(process.env.WINDOWING_DIFFERENTIAL_RUNS ?? 250);

describe('WindowOperator against the batch oracle', () => {
  for (const kind of ['tumbling', 'hopping', 'sliding', 'session'] as const) {
    for (const policy of ['drop', 'side-output', 'update'] as const) {
      it(`${kind} windows, late: ${policy}`, () => {
        fc.assert(fc.property(differentialCaseArbitrary(kind, policy), checkCase), {
          numRuns: runsPerProperty,
        });
      }, 60_000);
    }
  }
});
