/**
 * A batch computation of what the windowing operator must produce, written from the README's
 * *Semantics* section alone (not from the operator). It is slow on purpose: it replays a
 * schedule of batches, clock ticks and assignment changes step by step only to know the
 * watermark each event was judged by and what the late policy did with it; the contents of a
 * window are then the events that fall in it and were not refused for it, filtered from the
 * whole stream.
 */

import type { WindowKind } from './window-kinds';
import type { LateOutcome, LatePolicy, QuietStreamRule, WindowBounds, WindowInput } from './window-operator';

export type ScheduleStep<TEvent> =
  /** One fetch of one partition: its records, in offset order, after the clock moved on. */
  | {
      readonly kind: 'batch';
      readonly partition: string;
      readonly events: readonly WindowInput<TEvent>[];
      readonly advanceClockMs: number;
    }
  /** An idle check after the clock moved on. */
  | { readonly kind: 'tick'; readonly advanceClockMs: number }
  /** The consumer says whether a partition has anything left to read (the quiet-stream rule). */
  | { readonly kind: 'caught-up'; readonly partition: string; readonly caughtUp: boolean }
  /**
   * The instance restarts: every partition is assigned again with the state its changelog
   * holds, as after a crash or a rebalance that gives them all back. Idleness and caught-up flags
   * start over, and the operator's watermark is the minimum again (a partition's applied one
   * stays).
   */
  | { readonly kind: 'restart' }
  /**
   * A rebalance takes a partition away (its state stays in its changelog) or gives it back
   * restored from there. The operator's watermark is recomputed over the new assignment, lower
   * or higher; a partition's applied watermark never goes back.
   */
  | { readonly kind: 'revoke'; readonly partition: string }
  | { readonly kind: 'assign'; readonly partition: string };

export interface OracleOptions {
  readonly window: WindowKind;
  readonly outOfOrdernessMs?: number;
  readonly graceMs?: number;
  readonly late?: LatePolicy;
  readonly idleTimeoutMs?: number;
  readonly quiet?: QuietStreamRule;
  /** The partitions owned from the start (clock 0), not caught up; `revoke`/`assign` steps change it. */
  readonly partitions: readonly string[];
}

/** An event as the oracle tracks it: where it came from and its place in delivery order. */
export interface DeliveredEvent<TEvent> {
  readonly sequence: number;
  readonly step: number;
  readonly partition: string;
  readonly input: WindowInput<TEvent>;
}

export interface ExpectedLateEvent<TEvent> {
  readonly step: number;
  readonly partition: string;
  readonly key: string;
  readonly time: number;
  readonly event: TEvent;
  readonly watermark: number;
  readonly windows: readonly WindowBounds[];
  readonly outcome: LateOutcome;
}

export interface ExpectedWindow<TEvent> extends WindowBounds {
  readonly key: string;
  readonly partition: string;
  /** The events folded into the window, in delivery order. */
  readonly events: readonly DeliveredEvent<TEvent>[];
}

export interface OracleRun<TEvent> {
  /** The operator's watermark after each step. */
  readonly watermarks: readonly number[];
  /** Each partition's applied watermark after each step. */
  readonly appliedWatermarks: readonly ReadonlyMap<string, number>[];
  readonly lateEvents: readonly ExpectedLateEvent<TEvent>[];
  /** Every window with at least one event as it stood after `step`, by `windowId`. */
  windowsAfter(step: number): ReadonlyMap<string, ExpectedWindow<TEvent>>;
  /** Whether a window of a partition was closed after `step`. */
  isClosedAfter(step: number, partition: string, bounds: WindowBounds): boolean;
}

export function windowId(key: string, bounds: WindowBounds): string {
  return `${key}|${bounds.start}|${bounds.end}`;
}

interface PartitionClock {
  maxEventTime: number;
  lastArrival: number;
  applied: number;
  caughtUp: boolean;
}

interface Session<TEvent> {
  readonly start: number;
  readonly end: number;
  readonly members: readonly DeliveredEvent<TEvent>[];
}

/** How one kind of window judges and keeps events; `contentsAfter` answers from what `take` saw. */
interface WindowBook<TEvent> {
  take(event: DeliveredEvent<TEvent>, watermark: number): LateVerdict | undefined;
  contentsAfter(step: number): ExpectedWindow<TEvent>[];
}

interface LateVerdict {
  readonly windows: readonly WindowBounds[];
  readonly outcome: LateOutcome;
}

interface Lateness {
  readonly graceMs: number;
  readonly late: LatePolicy;
}

function isClosed(bounds: WindowBounds, watermark: number, lateness: Lateness): boolean {
  return watermark >= bounds.end + lateness.graceMs;
}

/**
 * Under `late: update`, whether a closed window is past its retention at this watermark: it
 * closed `retainMs` ago or more (so `retainMs: 0` keeps nothing, and a window is gone exactly when
 * it is purged).
 */
function isExpired(bounds: WindowBounds, watermark: number, lateness: Lateness): boolean {
  return (
    lateness.late.policy === 'update' && watermark - (bounds.end + lateness.graceMs) >= lateness.late.retainMs
  );
}

/** Whether a closed window is still held (`late: update`, within retention); others are purged at once. */
function isKept(bounds: WindowBounds, watermark: number, lateness: Lateness): boolean {
  return lateness.late.policy === 'update' && !isExpired(bounds, watermark, lateness);
}

/** What the policy does with an event for closed windows: which of them it still goes into. */
function judgeClosed(
  closed: readonly WindowBounds[],
  watermark: number,
  lateness: Lateness,
): { readonly verdict: LateVerdict; readonly updatable: readonly WindowBounds[] } {
  const { policy } = lateness.late;
  if (policy === 'drop') return { verdict: { windows: closed, outcome: 'dropped' }, updatable: [] };
  if (policy === 'side-output')
    return { verdict: { windows: closed, outcome: 'side-output' }, updatable: [] };
  const updatable = closed.filter((bounds) => !isExpired(bounds, watermark, lateness));
  return { verdict: { windows: closed, outcome: updatable.length > 0 ? 'updated' : 'expired' }, updatable };
}

/** Every `[k·step + offset, k·step + offset + size)` holding `time`, earliest first. */
function alignedWindowsHolding(
  time: number,
  sizeMs: number,
  stepMs: number,
  offsetMs: number,
): WindowBounds[] {
  const windows: WindowBounds[] = [];
  const latestK = Math.floor((time - offsetMs) / stepMs);
  for (let k = latestK; k * stepMs + offsetMs + sizeMs > time; k--) {
    const start = k * stepMs + offsetMs;
    windows.unshift({ start, end: start + sizeMs });
  }
  return windows;
}

function byStart(left: WindowBounds, right: WindowBounds): number {
  return left.start - right.start || left.end - right.end;
}

/** Tumbling and hopping: each event is judged per window holding it; refusals are remembered. */
function fixedWindowBook<TEvent>(
  windowsOf: (time: number) => WindowBounds[],
  lateness: Lateness,
  all: readonly DeliveredEvent<TEvent>[],
): WindowBook<TEvent> {
  const refused = new Set<string>();
  return {
    take(event, watermark) {
      const windows = windowsOf(event.input.time);
      const closed = windows.filter((bounds) => isClosed(bounds, watermark, lateness));
      if (closed.length === 0) return undefined;
      const { verdict, updatable } = judgeClosed(closed, watermark, lateness);
      for (const bounds of closed) {
        if (!updatable.includes(bounds))
          refused.add(`${event.sequence}|${windowId(event.input.key, bounds)}`);
      }
      return verdict;
    },
    contentsAfter(step) {
      const windows = new Map<string, ExpectedWindow<TEvent>>();
      for (const event of all) {
        if (event.step > step) break;
        for (const bounds of windowsOf(event.input.time)) {
          const id = windowId(event.input.key, bounds);
          if (refused.has(`${event.sequence}|${id}`)) continue;
          const window = windows.get(id);
          if (window === undefined) {
            windows.set(id, { key: event.input.key, partition: event.partition, ...bounds, events: [event] });
          } else {
            (window.events as DeliveredEvent<TEvent>[]).push(event);
          }
        }
      }
      return [...windows.values()];
    },
  };
}

/**
 * Sliding: a window per distinct event time `u` of a key that made it (the event at `u` went into
 * its own window); it holds the key's events in `[u − size + 1, u]` except those refused for it
 * (it had closed before their batch and the policy kept them out).
 */
function slidingWindowBook<TEvent>(
  sizeMs: number,
  lateness: Lateness,
  all: readonly DeliveredEvent<TEvent>[],
): WindowBook<TEvent> {
  const windowOf = (time: number): WindowBounds => ({ start: time - sizeMs + 1, end: time + 1 });
  const made = new Map<string, Map<number, number>>(); // key → window time → step it was made in
  const refused = new Set<string>();
  return {
    take(event, watermark) {
      const { key, time } = event.input;
      const times = made.get(key) ?? new Map<number, number>();
      made.set(key, times);
      const others = [...times.keys()].filter((u) => u > time && u - sizeMs + 1 <= time);
      const candidates = [time, ...others].sort((a, b) => a - b);
      // A late event lists its own window and the later closed windows still held: the key's
      // purged windows are forgotten (remembering them would need every event time forever).
      const listed = (u: number) => u === time || isKept(windowOf(u), watermark, lateness);
      const closed = candidates.filter((u) => isClosed(windowOf(u), watermark, lateness));
      const open = candidates.filter((u) => !closed.includes(u));
      const closedBounds = closed.filter(listed).map(windowOf);
      const judged = closed.length > 0 ? judgeClosed(closedBounds, watermark, lateness) : undefined;
      const updatable = new Set((judged?.updatable ?? []).map((bounds) => bounds.end - 1));
      for (const u of closed) {
        if (!updatable.has(u)) refused.add(`${event.sequence}|${windowId(key, windowOf(u))}`);
      }
      if ((open.includes(time) || updatable.has(time)) && !times.has(time)) times.set(time, event.step);
      return judged?.verdict;
    },
    contentsAfter(step) {
      const windows: ExpectedWindow<TEvent>[] = [];
      for (const [key, times] of made) {
        for (const [u, madeIn] of times) {
          if (madeIn > step) continue;
          const bounds = windowOf(u);
          const id = windowId(key, bounds);
          const events = all.filter(
            (event) =>
              event.step <= step &&
              event.input.key === key &&
              event.input.time >= bounds.start &&
              event.input.time < bounds.end &&
              !refused.has(`${event.sequence}|${id}`),
          );
          windows.push({ key, partition: events[0]?.partition ?? '', ...bounds, events });
        }
      }
      return windows;
    },
  };
}

/** Sessions: replayed event by event (merging is order-dependent), with a snapshot per step. */
function sessionWindowBook<TEvent>(
  gapMs: number,
  lateness: Lateness,
): WindowBook<TEvent> & { endStep(): void } {
  const sessions = new Map<string, Session<TEvent>[]>();
  const snapshots: ExpectedWindow<TEvent>[][] = [];
  // A closed session is remembered gapMs past its purge (retainMs after closing, 0 unless
  // `late: update`): after that no event can reach it without its own span having closed too.
  const retainMs = lateness.late.policy === 'update' ? lateness.late.retainMs : 0;
  const isForgotten = (s: Session<TEvent>, watermark: number) =>
    watermark >= s.end + lateness.graceMs + retainMs + gapMs;
  const join = (key: string, event: DeliveredEvent<TEvent>, overlapping: readonly Session<TEvent>[]) => {
    const merged: Session<TEvent> = {
      start: Math.min(event.input.time, ...overlapping.map((s) => s.start)),
      end: Math.max(event.input.time + gapMs, ...overlapping.map((s) => s.end)),
      members: [...overlapping.flatMap((s) => s.members), event].sort((a, b) => a.sequence - b.sequence),
    };
    const rest = (sessions.get(key) ?? []).filter((s) => !overlapping.includes(s));
    sessions.set(key, [...rest, merged]);
  };
  return {
    take(event, watermark) {
      const { key, time } = event.input;
      const span: WindowBounds = { start: time, end: time + gapMs };
      const overlapping = (sessions.get(key) ?? []).filter(
        (s) => s.start < span.end && span.start < s.end && !isForgotten(s, watermark),
      );
      const closed = overlapping.filter((s) => isClosed(s, watermark, lateness));
      const lateFor: WindowBounds[] =
        closed.length > 0
          ? closed.map(({ start, end }) => ({ start, end })).sort(byStart)
          : overlapping.length === 0 && isClosed(span, watermark, lateness)
            ? [span]
            : [];
      if (lateFor.length === 0) {
        join(key, event, overlapping);
        return undefined;
      }
      const { verdict } = judgeClosed(lateFor, watermark, lateness);
      // A session is one window: the event joins it only if none of the closed ones it would merge is past retention.
      const expired = lateFor.some((bounds) => isExpired(bounds, watermark, lateness));
      if (lateness.late.policy !== 'update') return verdict;
      if (expired) return { windows: lateFor, outcome: 'expired' };
      join(key, event, overlapping);
      return { windows: lateFor, outcome: 'updated' };
    },
    endStep() {
      snapshots.push(
        [...sessions].flatMap(([key, list]) =>
          list.map((s) => ({
            key,
            partition: s.members[0]?.partition ?? '',
            start: s.start,
            end: s.end,
            events: s.members,
          })),
        ),
      );
    },
    contentsAfter(step) {
      return snapshots[step] ?? [];
    },
  };
}

/** Replays the schedule by the README's rules. */
export function runBatchOracle<TEvent>(
  options: OracleOptions,
  schedule: readonly ScheduleStep<TEvent>[],
): OracleRun<TEvent> {
  const outOfOrdernessMs = options.outOfOrdernessMs ?? 0;
  const idleTimeoutMs = options.idleTimeoutMs ?? Number.POSITIVE_INFINITY;
  const lateness: Lateness = { graceMs: options.graceMs ?? 0, late: options.late ?? { policy: 'drop' } };
  const delivered: DeliveredEvent<TEvent>[] = [];
  const { window } = options;
  const sessionBook =
    window.kind === 'session' ? sessionWindowBook<TEvent>(window.gapMs, lateness) : undefined;
  const book: WindowBook<TEvent> =
    window.kind === 'tumbling'
      ? fixedWindowBook(
          (t) => alignedWindowsHolding(t, window.sizeMs, window.sizeMs, window.offsetMs),
          lateness,
          delivered,
        )
      : window.kind === 'hopping'
        ? fixedWindowBook(
            (t) => alignedWindowsHolding(t, window.sizeMs, window.advanceMs, window.offsetMs),
            lateness,
            delivered,
          )
        : window.kind === 'sliding'
          ? slidingWindowBook(window.sizeMs, lateness, delivered)
          : (sessionBook as WindowBook<TEvent>);

  let now = 0;
  let operatorWatermark = Number.NEGATIVE_INFINITY;
  const partitions = new Map<string, PartitionClock>(
    options.partitions.map((p) => [
      p,
      {
        maxEventTime: Number.NEGATIVE_INFINITY,
        lastArrival: 0,
        applied: Number.NEGATIVE_INFINITY,
        caughtUp: false,
      },
    ]),
  );
  const isIdle = (clock: PartitionClock) => now - clock.lastArrival >= idleTimeoutMs;
  const quietWatermark = (): number | undefined => {
    const { quiet } = options;
    if (quiet === undefined) return undefined;
    // "Idle for afterMs" is read as: nothing arrived for afterMs (whether or not idleTimeoutMs has passed).
    const quietLongEnough =
      partitions.size > 0 &&
      [...partitions.values()].every((clock) => clock.caughtUp && now - clock.lastArrival >= quiet.afterMs);
    return quietLongEnough ? now - (quiet.maxDelayMs ?? outOfOrdernessMs) : undefined;
  };
  /**
   * The minimum over owned partitions that are not idle (the greatest own watermark once every one
   * is idle), raised by the quiet-stream rule.
   */
  const computed = (): number | undefined => {
    const all = [...partitions.values()];
    const active = all.filter((clock) => !isIdle(clock));
    const own = (clock: PartitionClock) => clock.maxEventTime - outOfOrdernessMs;
    const minimum =
      active.length > 0
        ? Math.min(...active.map(own))
        : all.length > 0
          ? Math.max(...all.map(own))
          : undefined;
    const quiet = quietWatermark();
    return quiet === undefined ? minimum : Math.max(minimum ?? quiet, quiet);
  };
  const recompute = () => {
    operatorWatermark = Math.max(operatorWatermark, computed() ?? operatorWatermark);
    for (const clock of partitions.values()) clock.applied = Math.max(clock.applied, operatorWatermark);
  };
  const revoked = new Map<string, PartitionClock>();

  const watermarks: number[] = [];
  const appliedWatermarks: Map<string, number>[] = [];
  const lateEvents: ExpectedLateEvent<TEvent>[] = [];
  schedule.forEach((step, index) => {
    if (step.kind === 'batch' || step.kind === 'tick') now += step.advanceClockMs;
    if (step.kind === 'batch') {
      const clock = partitions.get(step.partition);
      if (clock === undefined) throw new Error(`partition ${step.partition} is not in the assignment`);
      const watermark = clock.applied;
      for (const input of step.events) {
        const event = { sequence: delivered.length, step: index, partition: step.partition, input };
        delivered.push(event);
        const verdict = book.take(event, watermark);
        if (verdict !== undefined) {
          const { key, time } = input;
          lateEvents.push({
            step: index,
            partition: step.partition,
            key,
            time,
            event: input.event,
            watermark,
            ...verdict,
          });
        }
        clock.maxEventTime = Math.max(clock.maxEventTime, input.time);
      }
      if (step.events.length > 0) clock.lastArrival = now; // an empty fetch is no arrival
      recompute();
    } else if (step.kind === 'tick') {
      recompute();
    } else if (step.kind === 'restart') {
      for (const clock of partitions.values()) {
        clock.lastArrival = now;
        clock.caughtUp = false;
      }
      operatorWatermark = computed() ?? Number.NEGATIVE_INFINITY;
    } else if (step.kind === 'revoke') {
      const clock = partitions.get(step.partition);
      if (clock === undefined) throw new Error(`partition ${step.partition} is not in the assignment`);
      partitions.delete(step.partition);
      revoked.set(step.partition, clock);
      operatorWatermark = computed() ?? operatorWatermark;
    } else if (step.kind === 'assign') {
      const clock = revoked.get(step.partition);
      if (clock === undefined) throw new Error(`partition ${step.partition} was not revoked`);
      revoked.delete(step.partition);
      clock.lastArrival = now;
      clock.caughtUp = false;
      partitions.set(step.partition, clock);
      operatorWatermark = computed() ?? operatorWatermark;
    } else {
      const clock = partitions.get(step.partition);
      if (clock !== undefined) clock.caughtUp = step.caughtUp;
    }
    sessionBook?.endStep();
    watermarks.push(operatorWatermark);
    appliedWatermarks.push(new Map([...partitions, ...revoked].map(([p, clock]) => [p, clock.applied])));
  });

  const windowsByStep = new Map<number, ReadonlyMap<string, ExpectedWindow<TEvent>>>();
  const lastStep = schedule.length - 1;
  let finalContents: ExpectedWindow<TEvent>[] | undefined;
  // Fixed and sliding windows: refusals are decided on arrival and never revisited, so a window
  // after a step holds its final contents delivered by then; it exists once an event made it
  // (any event of a fixed window, one at its own time for a sliding window). Sessions merge, and
  // keep a snapshot per step instead.
  const contentsAfter = (step: number): ExpectedWindow<TEvent>[] => {
    if (window.kind === 'session' || step === lastStep) return book.contentsAfter(step);
    finalContents ??= book.contentsAfter(lastStep);
    return finalContents.flatMap((w) => {
      const events = w.events.filter((event) => event.step <= step);
      const made = events.some((event) => window.kind !== 'sliding' || event.input.time === w.end - 1);
      return made ? [{ ...w, events }] : [];
    });
  };
  return {
    watermarks,
    appliedWatermarks,
    lateEvents,
    windowsAfter(step) {
      let known = windowsByStep.get(step);
      if (known === undefined) {
        known = new Map(contentsAfter(step).map((w) => [windowId(w.key, w), w]));
        windowsByStep.set(step, known);
      }
      return known;
    },
    isClosedAfter(step, partition, bounds) {
      const applied = appliedWatermarks[step]?.get(partition) ?? Number.NEGATIVE_INFINITY;
      return isClosed(bounds, applied, lateness);
    },
  };
}
