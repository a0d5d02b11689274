import { InletError, InletErrorCode } from '@inlet/core';
import type { AnyAggregation } from './aggregations';
import { TimeQueue } from './time-queue';
import { type PartitionWatermarks, WatermarkTracker } from './watermarks';
import {
  alignedStart,
  fixedWindowStarts,
  type HoppingWindows,
  type TumblingWindows,
  type WindowKind,
} from './window-kinds';
import { WindowingErrorCode } from './windowing-error-code';

/** What happens to an event for a window that is already closed (watermark ≥ end + grace). */
export type LatePolicy =
  | { readonly policy: 'drop' }
  | { readonly policy: 'side-output' }
  | {
      readonly policy: 'update';
      /** How long a closed window is kept to take late events, after it closed. */
      readonly retainMs: number;
    };

export type EmitMode = 'final' | 'update';

export interface WindowOperatorOptions<TEvent> {
  readonly window: WindowKind;
  readonly aggregation: AnyAggregation<TEvent>;
  /** Allowed disorder: watermark = max event time seen − this. Default 0. */
  readonly outOfOrdernessMs?: number;
  /** Allowed lateness: a window closes once the watermark reaches end + grace. Default 0. */
  readonly graceMs?: number;
  readonly late?: LatePolicy;
  /** `final`: one result per window when it closes; `update`: a result after every change, then the final one. */
  readonly emit?: EmitMode;
  /** A partition without events for this long stops holding the watermark back. Default: never. */
  readonly idleTimeoutMs?: number;
  /** Opt-in: advance the watermark with the wall clock while every partition is idle and caught up. */
  readonly quiet?: QuietStreamRule;
  /** Wall clock (ms), for idleness. Default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * Once every partition has been idle for `afterMs` and has nothing left to read (lag 0), the
 * watermark follows the wall clock: `now − maxDelayMs`. It presumes an event reaches Kafka
 * within `maxDelayMs` of its event time; one that takes longer (a producer's clock behind, a
 * device that was offline, a backfill) arrives late.
 */
export interface QuietStreamRule {
  readonly afterMs: number;
  /** Default: `outOfOrdernessMs`. */
  readonly maxDelayMs?: number;
}

/** An event as the operator takes it: its window key, its event time (ms) and itself. */
export interface WindowInput<TEvent> {
  readonly key: string;
  readonly time: number;
  readonly event: TEvent;
  /**
   * The event's id: another input of the same key with this id is a duplicate, skipped and
   * counted, as long as the windows the first one went into are kept (the ids are kept with the
   * key's state, checkpointed with it).
   */
  readonly id?: string;
}

export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * A window's result. Results are keyed by (key, start, end); a later `revision` of the same
 * window replaces an earlier one, so writing them as upserts downstream is idempotent.
 */
export interface WindowResult<TResult> extends WindowBounds {
  readonly type: 'result';
  readonly key: string;
  readonly value: TResult;
  /** Events folded into the window. */
  readonly events: number;
  /** 1 for the first result of this window, then one more for each. */
  readonly revision: number;
  /** The window had closed when this was emitted: the final result, or a correction of it. */
  readonly final: boolean;
  /** Emitted after the window had closed, because a late event updated it. */
  readonly correction: boolean;
  readonly partition: string;
}

/** A result emitted before is void: its session merged into another one with other bounds. */
export interface WindowRetraction extends WindowBounds {
  readonly type: 'retraction';
  readonly key: string;
  readonly revision: number;
  readonly partition: string;
}

export type WindowOutput<TResult> = WindowResult<TResult> | WindowRetraction;

export type LateOutcome = 'dropped' | 'side-output' | 'updated' | 'expired';

/** An event that came for at least one closed window, and what was done with it. */
export interface LateEvent<TEvent> {
  readonly partition: string;
  readonly key: string;
  readonly time: number;
  readonly event: TEvent;
  /** The partition's watermark when the event was taken. */
  readonly watermark: number;
  /** The closed windows it was for. */
  readonly windows: readonly WindowBounds[];
  readonly outcome: LateOutcome;
  readonly reason: string;
}

/**
 * A key that came in a partition while another partition this operator owns holds it: its events
 * are split between two sets of windows, whose results collide downstream. The input is not
 * partitioned by this key (a `key` function other than the partitioning, or producers that
 * place keys differently).
 */
export interface SplitKey {
  readonly key: string;
  /** The partition that held it, and the one it came in. */
  readonly partitions: readonly [string, string];
}

/** An input the aggregation could not take (`input` threw): the caller dead-letters it. */
export interface RefusedInput {
  readonly index: number;
  readonly error: unknown;
}

export interface WindowOperatorStats {
  readonly partitions: number;
  readonly keys: number;
  readonly openWindows: number;
  /** Closed windows kept for late updates (`late: update`). */
  readonly retainedWindows: number;
  readonly late: Readonly<Record<LateOutcome, number>>;
  readonly results: number;
  readonly retractions: number;
  /** Inputs skipped because an input with the same id and key was taken before. */
  readonly duplicates: number;
  /** The operator's watermark: the minimum over active partitions (−Infinity before any). */
  readonly watermark: number;
}

/** A window as kept in state and written to the changelog. */
interface WindowState {
  start: number;
  end: number;
  accumulator: unknown;
  events: number;
  revision: number;
  closed: boolean;
  /** Changed since it last emitted (emit: update). */
  changed: boolean;
}

interface KeyState {
  readonly key: string;
  /** By start; for sessions they never overlap. */
  windows: WindowState[];
  /** Sliding windows: the key's values by time, for windows still to be made. */
  values: [number, unknown][] | undefined;
  /** Listed in its partition's `dirty` (to be written to the changelog). */
  dirty: boolean;
  /** Ids of inputs taken (id → event time), for recognising copies. */
  ids: Map<string, number> | undefined;
}

interface PartitionState {
  readonly id: string;
  readonly keys: Map<string, KeyState>;
  readonly closing: TimeQueue<KeyState>;
  readonly purging: TimeQueue<KeyState>;
  /** Keys changed since the last `takeChanges`, in the order they first changed. */
  dirty: KeyState[];
  /**
   * Keys left without windows by the last close: removed at the next close unless an event came
   * meanwhile. A steady key's state is not dropped and made again at every window.
   */
  emptied: KeyState[];
}

/** A key's state as the changelog holds it. */
export interface EncodedKeyState {
  /** [start, end, accumulator, events, revision, closed (1/0)] */
  readonly w: readonly (readonly [number, number, unknown, number, number, number])[];
  readonly v?: readonly (readonly [number, unknown])[];
  /** [id, event time] of the inputs taken, while their windows are kept. */
  readonly d?: readonly (readonly [string, number])[];
}

/** What the changelog needs after a batch: keys to write (null: remove) and the partition's time. */
export interface PartitionChanges {
  readonly keys: readonly (readonly [string, EncodedKeyState | null])[];
  readonly time: PartitionWatermarks;
}

const neverIdle = Number.POSITIVE_INFINITY;

/**
 * The windowing operator: events of partitions in, window results, retractions and late events
 * out. Synchronous and deterministic given its inputs and clock, so a batch computation can check
 * it. State is kept per partition (a key's events come from one partition), so partitions can
 * move between instances with their state.
 */
export class WindowOperator<TEvent, TResult> {
  private readonly window: WindowKind;
  private readonly aggregation: AnyAggregation<TEvent>;
  private readonly graceMs: number;
  private readonly late: LatePolicy;
  private readonly emitUpdates: boolean;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly watermarks: WatermarkTracker;
  private outputs: WindowOutput<TResult>[] = [];
  private lateEvents: LateEvent<TEvent>[] = [];
  private splitKeys: SplitKey[] = [];
  private readonly changedWindows = new Map<WindowState, [PartitionState, KeyState]>();
  private readonly counters = {
    late: { dropped: 0, 'side-output': 0, updated: 0, expired: 0 } as Record<LateOutcome, number>,
    results: 0,
    retractions: 0,
    duplicates: 0,
  };

  constructor(options: WindowOperatorOptions<TEvent>) {
    this.window = options.window;
    this.aggregation = options.aggregation;
    this.graceMs = options.graceMs ?? 0;
    this.late = options.late ?? { policy: 'drop' };
    this.emitUpdates = (options.emit ?? 'final') === 'update';
    if (this.window.kind === 'session' && this.aggregation.merge === undefined) {
      throw new InletError(
        InletErrorCode.invalidOption,
        `session windows merge accumulators: the aggregation "${this.aggregation.name}" needs a merge function`,
      );
    }
    this.watermarks = new WatermarkTracker({
      outOfOrdernessMs: options.outOfOrdernessMs ?? 0,
      idleTimeoutMs: options.idleTimeoutMs ?? neverIdle,
      ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
      clock: options.clock ?? Date.now,
    });
  }

  /** Starts keeping state for a partition, empty or restored from the changelog. */
  assign(
    partition: string,
    restored?: {
      readonly keys: Iterable<readonly [string, EncodedKeyState]>;
      readonly time: PartitionWatermarks;
    },
  ): void {
    if (this.partitions.has(partition)) return;
    const state: PartitionState = {
      id: partition,
      keys: new Map(),
      closing: new TimeQueue(),
      purging: new TimeQueue(),
      dirty: [],
      emptied: [],
    };
    this.partitions.set(partition, state);
    this.watermarks.assign(partition, restored?.time);
    if (restored === undefined) return;
    for (const [key, encoded] of restored.keys) {
      const keyState = this.decodeKey(key, encoded);
      state.keys.set(key, keyState);
      this.schedule(state, keyState);
    }
  }

  /** Forgets a partition's state (it moved to another instance, which restores it). */
  revoke(partition: string): void {
    const state = this.partitions.get(partition);
    if (state === undefined) return;
    this.partitions.delete(partition);
    this.watermarks.revoke(partition);
    for (const [window, [owner]] of this.changedWindows)
      if (owner === state) this.changedWindows.delete(window);
  }

  owns(partition: string): boolean {
    return this.partitions.has(partition);
  }

  /** Whether a partition has nothing left to read: the quiet-stream rule needs every one caught up. */
  setCaughtUp(partition: string, caughtUp: boolean): void {
    this.watermarks.setCaughtUp(partition, caughtUp);
  }

  /**
   * Takes a batch of one partition's events, in offset order, then advances the watermark and
   * closes what it passed. Inputs the aggregation refuses are returned (nothing of them is kept).
   */
  process(partition: string, inputs: readonly WindowInput<TEvent>[]): RefusedInput[] {
    const state = this.partitionState(partition);
    const refused: RefusedInput[] = [];
    let maxTime = Number.NEGATIVE_INFINITY;
    const watermark = this.watermarks.applied(partition);
    for (let index = 0; index < inputs.length; index++) {
      const input = inputs[index] as WindowInput<TEvent>;
      let value: unknown;
      try {
        if (typeof input.time !== 'number' || !Number.isFinite(input.time)) {
          throw new InletError(
            InletErrorCode.validationFailed,
            `event time must be a finite number, got ${String(input.time)}`,
          );
        }
        value = this.aggregation.input(input.event);
      } catch (error) {
        refused.push({ index, error });
        continue;
      }
      if (input.id !== undefined) {
        const keyState = this.keyStateOf(state, input.key);
        if (keyState.ids?.has(input.id)) {
          this.counters.duplicates++;
          continue;
        }
        if (keyState.ids === undefined) keyState.ids = new Map();
        keyState.ids.set(input.id, input.time);
        markDirty(state, keyState);
      }
      if (input.time > maxTime) maxTime = input.time;
      this.take(state, input, value, watermark);
    }
    // An empty fetch is no arrival: it must not keep the partition from going idle.
    if (inputs.length > 0) this.watermarks.observe(partition, maxTime);
    // Corrections first: the advance may purge the very windows this batch corrected.
    this.emitChanged(true);
    this.advance();
    this.emitChanged();
    return refused;
  }

  /** Re-evaluates idleness and the quiet-stream rule by the clock; closes what that passed. */
  tick(): void {
    this.advance();
    this.emitChanged();
  }

  /** Results and retractions since the last call, in the order they happened. */
  takeOutputs(): WindowOutput<TResult>[] {
    const outputs = this.outputs;
    this.outputs = [];
    return outputs;
  }

  /** Keys found in a second partition's state since the last call (see {@link SplitKey}). */
  takeSplitKeys(): SplitKey[] {
    const split = this.splitKeys;
    this.splitKeys = [];
    return split;
  }

  takeLateEvents(): LateEvent<TEvent>[] {
    const late = this.lateEvents;
    this.lateEvents = [];
    return late;
  }

  /** The keys of a partition changed since the last call, encoded for the changelog, and its time. */
  takeChanges(partition: string): PartitionChanges {
    const state = this.partitions.get(partition);
    if (state === undefined)
      throw new InletError(InletErrorCode.invalidOption, `partition ${partition} is not assigned`);
    const keys: [string, EncodedKeyState | null][] = [];
    for (const keyState of state.dirty) {
      keyState.dirty = false;
      keys.push([keyState.key, isEmpty(keyState) ? null : this.encodeKey(keyState)]);
    }
    state.dirty = [];
    return { keys, time: this.watermarks.snapshot(partition) };
  }

  /** Marks every key of a partition changed (its next changes rewrite them all); returns them. */
  markAllChanged(partition: string): ReadonlySet<string> {
    const state = this.partitions.get(partition);
    if (state === undefined) return new Set();
    for (const keyState of state.keys.values()) markDirty(state, keyState);
    return new Set(state.keys.keys());
  }

  /** The operator's watermark: the minimum over active partitions. */
  watermark(): number {
    return this.watermarks.current();
  }

  partitionWatermark(partition: string): number {
    return this.watermarks.applied(partition);
  }

  /** A key's windows (open, and closed ones still kept), from the partitions this instance owns. */
  query(key: string): (WindowBounds & { value: TResult; events: number; closed: boolean })[] {
    const found: (WindowBounds & { value: TResult; events: number; closed: boolean })[] = [];
    for (const state of this.partitions.values()) {
      const keyState = state.keys.get(key);
      if (keyState === undefined) continue;
      for (const window of keyState.windows) {
        found.push({
          start: window.start,
          end: window.end,
          value: this.resultOf(window),
          events: window.events,
          closed: window.closed,
        });
      }
    }
    return found;
  }

  /**
   * The aggregate over a key's events with time in `(at − sizeMs, at]`, from the values sliding
   * windows keep: "the last N minutes" at any moment, not only at the key's events.
   */
  recent(key: string, at: number): { value: TResult; events: number } | undefined {
    if (this.window.kind !== 'sliding') {
      throw new InletError(InletErrorCode.invalidOption, 'recent() needs sliding windows');
    }
    const { sizeMs } = this.window;
    const from = at - sizeMs;
    const holding = [...this.partitions.values()].find((state) => state.keys.get(key)?.values !== undefined);
    // Values at or before a partition's watermark − grace − size (− retain) are purged: a fold
    // from before that would leave them out. Where the key is not held, any partition may be its.
    const keptAfter = (state: PartitionState) =>
      this.watermarks.applied(state.id) - this.graceMs - sizeMs - this.retainMs();
    const horizon = Math.max(
      Number.NEGATIVE_INFINITY,
      ...(holding === undefined ? [...this.partitions.values()] : [holding]).map(keptAfter),
    );
    if (from < horizon) {
      throw new InletError(
        WindowingErrorCode.queryBeyondState,
        `recent(${JSON.stringify(key)}, ${at}) needs the values after ${from}, but those up to ${horizon} are purged (watermark − grace − size${this.retainMs() > 0 ? ' − retainMs' : ''}); ask for at ≥ ${horizon + sizeMs}`,
      );
    }
    const values = holding?.keys.get(key)?.values;
    if (values === undefined) return undefined;
    let accumulator = this.aggregation.init();
    let events = 0;
    for (const [time, value] of values) {
      if (time > from && time <= at) {
        accumulator = this.aggregation.add(accumulator, value);
        events++;
      }
    }
    return { value: this.aggregation.result(accumulator) as TResult, events };
  }

  stats(): WindowOperatorStats {
    let keys = 0;
    let openWindows = 0;
    let retainedWindows = 0;
    for (const state of this.partitions.values()) {
      for (const keyState of state.keys.values()) {
        if (!isEmpty(keyState)) keys++;
        for (const window of keyState.windows) {
          if (window.closed) retainedWindows++;
          else openWindows++;
        }
      }
    }
    return {
      partitions: this.partitions.size,
      keys,
      openWindows,
      retainedWindows,
      late: { ...this.counters.late },
      results: this.counters.results,
      retractions: this.counters.retractions,
      duplicates: this.counters.duplicates,
      watermark: this.watermarks.current(),
    };
  }

  /** Bytes of the state as the changelog would hold it (JSON), for sizing. Walks every key. */
  stateBytes(): number {
    let bytes = 0;
    for (const state of this.partitions.values()) {
      for (const keyState of state.keys.values()) {
        bytes +=
          Buffer.byteLength(keyState.key) + Buffer.byteLength(JSON.stringify(this.encodeKey(keyState)));
      }
    }
    return bytes;
  }

  private partitionState(partition: string): PartitionState {
    const state = this.partitions.get(partition);
    if (state === undefined) {
      this.assign(partition);
      return this.partitions.get(partition) as PartitionState;
    }
    return state;
  }

  private keyStateOf(state: PartitionState, key: string): KeyState {
    let keyState = state.keys.get(key);
    if (keyState === undefined) {
      // Windows are per input partition: a key held by two gets two windows where there is one.
      for (const other of this.partitions.values()) {
        if (other === state || !other.keys.has(key)) continue;
        this.splitKeys.push({ key, partitions: [other.id, state.id] });
        break;
      }
      keyState = {
        key,
        windows: [],
        values: this.window.kind === 'sliding' ? [] : undefined,
        dirty: false,
        ids: undefined,
      };
      state.keys.set(key, keyState);
    }
    return keyState;
  }

  private isClosed(end: number, watermark: number): boolean {
    return end + this.graceMs <= watermark;
  }

  private take(state: PartitionState, input: WindowInput<TEvent>, value: unknown, watermark: number): void {
    switch (this.window.kind) {
      case 'tumbling':
      case 'hopping':
        this.takeFixed(state, input, value, watermark, this.window.sizeMs);
        return;
      case 'sliding':
        this.takeSliding(state, input, value, watermark, this.window.sizeMs);
        return;
      case 'session':
        this.takeSession(state, input, value, watermark, this.window.gapMs);
        return;
    }
  }

  private takeFixed(
    state: PartitionState,
    input: WindowInput<TEvent>,
    value: unknown,
    watermark: number,
    sizeMs: number,
  ): void {
    const kind = this.window as TumblingWindows | HoppingWindows;
    const keyState = this.keyStateOf(state, input.key);
    let closedFor: WindowBounds[] | undefined;
    if (kind.kind === 'tumbling') {
      const start = alignedStart(input.time, sizeMs, kind.offsetMs);
      if (!this.addToFixed(state, keyState, start, start + sizeMs, value, watermark)) {
        closedFor = [{ start, end: start + sizeMs }];
      }
    } else {
      for (const start of fixedWindowStarts(kind, input.time)) {
        if (this.addToFixed(state, keyState, start, start + sizeMs, value, watermark)) continue;
        closedFor = withBounds(closedFor, { start, end: start + sizeMs });
      }
    }
    if (keyState.windows.length === 0) this.dropKey(state, keyState);
    if (closedFor !== undefined)
      this.recordLate(state, input, watermark, closedFor, this.allExpired(closedFor, watermark));
  }

  /** Adds to a fixed window; false when the window had closed (late), whatever the policy did. */
  private addToFixed(
    state: PartitionState,
    keyState: KeyState,
    start: number,
    end: number,
    value: unknown,
    watermark: number,
  ): boolean {
    let window = findWindow(keyState.windows, start);
    const closed = this.isClosed(end, watermark);
    if (closed) {
      if (this.late.policy !== 'update' || this.isExpired(end, watermark)) return false;
      window ??= this.keptClosed(keyState, start, end);
    } else {
      window ??= this.openWindow(state, keyState, start, end);
    }
    window.accumulator = this.aggregation.add(window.accumulator, value);
    window.events++;
    this.touched(state, keyState, window);
    return !closed;
  }

  /** A late event is expired only when none of its closed windows could take it (one that updated any counts as updated). */
  private allExpired(closedFor: readonly WindowBounds[], watermark: number): boolean {
    return closedFor.every((window) => this.isExpired(window.end, watermark));
  }

  /** Past its retention a closed window is gone (late: update cannot correct it). */
  private isExpired(end: number, watermark: number): boolean {
    return this.late.policy === 'update' && end + this.graceMs + this.late.retainMs <= watermark;
  }

  /** A closed window that had no events yet, made by a late event under `late: update`. */
  private keptClosed(keyState: KeyState, start: number, end: number): WindowState {
    const window: WindowState = {
      start,
      end,
      accumulator: this.aggregation.init(),
      events: 0,
      revision: 0,
      closed: true,
      changed: false,
    };
    insertWindow(keyState.windows, window);
    return window;
  }

  private takeSliding(
    state: PartitionState,
    input: WindowInput<TEvent>,
    value: unknown,
    watermark: number,
    sizeMs: number,
  ): void {
    const keyState = this.keyStateOf(state, input.key);
    const values = keyState.values as [number, unknown][];
    const time = input.time;
    let closedFor: WindowBounds[] | undefined;
    let ownExpired = false;
    // The key's later windows whose range holds the event.
    let hasOwn = false;
    for (const window of keyState.windows) {
      if (window.start > time || window.end <= time) continue;
      if (window.end === time + 1) hasOwn = true;
      if (window.closed) {
        closedFor = withBounds(closedFor, { start: window.start, end: window.end });
        if (this.late.policy !== 'update') continue;
      }
      window.accumulator = this.aggregation.add(window.accumulator, value);
      window.events++;
      this.touched(state, keyState, window);
    }
    // Kept for windows still to come (a later event's window may hold it), even when late.
    insertValue(values, time, value);
    const ownEnd = time + 1;
    if (!hasOwn) {
      const ownClosed = this.isClosed(ownEnd, watermark);
      if (ownClosed) {
        closedFor = withBounds(closedFor, { start: ownEnd - sizeMs, end: ownEnd });
        ownExpired = this.isExpired(ownEnd, watermark);
      }
      if (!ownClosed || (this.late.policy === 'update' && !ownExpired)) {
        const window = ownClosed
          ? this.keptClosed(keyState, ownEnd - sizeMs, ownEnd)
          : this.openWindow(state, keyState, ownEnd - sizeMs, ownEnd);
        for (const [valueTime, kept] of values) {
          if (valueTime < window.start || valueTime >= window.end) continue;
          window.accumulator = this.aggregation.add(window.accumulator, kept);
          window.events++;
        }
        this.touched(state, keyState, window);
      }
    }
    markDirty(state, keyState);
    this.scheduleValuesPurge(state, keyState);
    if (closedFor !== undefined)
      this.recordLate(state, input, watermark, closedFor, this.allExpired(closedFor, watermark));
  }

  private takeSession(
    state: PartitionState,
    input: WindowInput<TEvent>,
    value: unknown,
    watermark: number,
    gapMs: number,
  ): void {
    const keyState = this.keyStateOf(state, input.key);
    const start = input.time;
    const end = input.time + gapMs;
    const overlapping = keyState.windows.filter((window) => window.start < end && start < window.end);
    const closed = overlapping.filter((window) => window.closed || this.isClosed(window.end, watermark));
    const lateAlone = overlapping.length === 0 && this.isClosed(end, watermark);
    if (closed.length > 0 || lateAlone) {
      const closedFor = lateAlone
        ? [{ start, end }]
        : closed.map((window) => ({ start: window.start, end: window.end }));
      const expired = lateAlone
        ? this.isExpired(end, watermark)
        : closed.some((window) => this.isExpired(window.end, watermark));
      if (this.late.policy !== 'update' || expired) {
        if (keyState.windows.length === 0) this.dropKey(state, keyState);
        this.recordLate(state, input, watermark, closedFor, expired);
        return;
      }
      this.recordLate(state, input, watermark, closedFor, false);
    }
    const merge = this.aggregation.merge as (left: unknown, right: unknown) => unknown;
    let merged: WindowState;
    if (overlapping.length === 0) {
      merged = lateAlone
        ? this.keptClosed(keyState, start, end)
        : this.openWindow(state, keyState, start, end);
    } else {
      const first = overlapping[0] as WindowState;
      merged = first;
      const before = overlapping.map((window) => ({
        start: window.start,
        end: window.end,
        revision: window.revision,
      }));
      for (const other of overlapping.slice(1)) {
        merged.accumulator = merge(merged.accumulator, other.accumulator);
        merged.events += other.events;
        merged.revision = Math.max(merged.revision, other.revision);
        merged.start = Math.min(merged.start, other.start);
        merged.end = Math.max(merged.end, other.end);
        keyState.windows.splice(keyState.windows.indexOf(other), 1);
        this.changedWindows.delete(other);
      }
      merged.start = Math.min(merged.start, start);
      merged.end = Math.max(merged.end, end);
      merged.closed = this.isClosed(merged.end, watermark);
      for (const old of before) {
        if (old.revision === 0 || (old.start === merged.start && old.end === merged.end)) continue;
        this.retract(state, keyState.key, old, old.revision);
      }
      if (!merged.closed) state.closing.add(merged.end + this.graceMs, keyState);
    }
    merged.accumulator = this.aggregation.add(merged.accumulator, value);
    merged.events++;
    this.touched(state, keyState, merged);
  }

  /**
   * When a closed window is purged: `retainMs` after closing. A session is remembered `gapMs`
   * longer (past its retention it takes nothing), because until then a late event's span can
   * still overlap it while its own span is open: without the session the event would start a new
   * one overlapping it instead of being late.
   */
  private forgetAt(end: number): number {
    const sessionGapMs = this.window.kind === 'session' ? this.window.gapMs : 0;
    return end + this.graceMs + this.retainMs() + sessionGapMs;
  }

  /** How long after an event's time (in watermark) its windows can still be kept. */
  private idHorizonMs(): number {
    const size = this.window.kind === 'session' ? 2 * this.window.gapMs : this.window.sizeMs;
    return size + this.graceMs + this.retainMs();
  }

  private retainMs(): number {
    return this.late.policy === 'update' ? this.late.retainMs : 0;
  }

  private openWindow(state: PartitionState, keyState: KeyState, start: number, end: number): WindowState {
    const window: WindowState = {
      start,
      end,
      accumulator: this.aggregation.init(),
      events: 0,
      revision: 0,
      closed: false,
      changed: false,
    };
    insertWindow(keyState.windows, window);
    state.closing.add(end + this.graceMs, keyState);
    return window;
  }

  private touched(state: PartitionState, keyState: KeyState, window: WindowState): void {
    markDirty(state, keyState);
    if (window.closed || this.emitUpdates) {
      window.changed = true;
      this.changedWindows.set(window, [state, keyState]);
    }
  }

  /** Emits windows changed in this call: early results (emit: update) and corrections (all, or only those). */
  private emitChanged(correctionsOnly = false): void {
    for (const [window, [state, keyState]] of this.changedWindows) {
      if (correctionsOnly && !window.closed) continue;
      this.changedWindows.delete(window);
      if (!window.changed) continue;
      if (!this.partitions.has(state.id) || !keyState.windows.includes(window)) continue;
      // Under emit: final an open window waits for its close (a late event can reopen a closed
      // session by merging it with its span).
      if (!window.closed && !this.emitUpdates) continue;
      this.emit(state, keyState, window, window.closed, window.closed);
      if (window.closed) state.purging.add(this.forgetAt(window.end), keyState);
    }
  }

  private emit(
    state: PartitionState,
    keyState: KeyState,
    window: WindowState,
    final: boolean,
    correction: boolean,
  ): void {
    window.revision++;
    window.changed = false;
    markDirty(state, keyState);
    this.counters.results++;
    this.outputs.push({
      type: 'result',
      key: keyState.key,
      start: window.start,
      end: window.end,
      value: this.resultOf(window),
      events: window.events,
      revision: window.revision,
      final,
      correction,
      partition: state.id,
    });
  }

  /**
   * The window's result as it is now. An aggregation may change its accumulator in place and
   * return it (or part of it) as the result, so an object result is copied: a result emitted
   * must not change when the window takes more events.
   */
  private resultOf(window: WindowState): TResult {
    const result = this.aggregation.result(window.accumulator) as TResult;
    return typeof result === 'object' && result !== null ? structuredClone(result) : result;
  }

  private retract(state: PartitionState, key: string, bounds: WindowBounds, revision: number): void {
    this.counters.retractions++;
    this.outputs.push({
      type: 'retraction',
      key,
      start: bounds.start,
      end: bounds.end,
      revision: revision + 1,
      partition: state.id,
    });
  }

  private recordLate(
    state: PartitionState,
    input: WindowInput<TEvent>,
    watermark: number,
    windows: WindowBounds[],
    expired: boolean,
  ): void {
    const outcome: LateOutcome = expired
      ? 'expired'
      : this.late.policy === 'drop'
        ? 'dropped'
        : this.late.policy === 'side-output'
          ? 'side-output'
          : 'updated';
    this.counters.late[outcome]++;
    const first = windows[0] as WindowBounds;
    const lateness = watermark - this.graceMs - first.end;
    const reason = expired
      ? `window [${first.start}, ${first.end}) closed and was purged (kept ${this.retainMs()} ms after closing); watermark ${watermark}`
      : `window [${first.start}, ${first.end}) closed at end + grace ${first.end + this.graceMs}, watermark ${watermark}: ${lateness} ms after it closed`;
    this.lateEvents.push({
      partition: state.id,
      key: input.key,
      time: input.time,
      event: input.event,
      watermark,
      windows,
      outcome,
      reason,
    });
  }

  private advance(): void {
    for (const partition of this.watermarks.advance()) {
      const state = this.partitions.get(partition);
      if (state !== undefined) this.closeDue(state, this.watermarks.applied(partition));
    }
  }

  private closeDue(state: PartitionState, watermark: number): void {
    this.removeEmptied(state);
    for (;;) {
      const due = state.closing.takeDue(watermark);
      if (due === undefined) break;
      for (const keyState of due.items) {
        if (state.keys.get(keyState.key) !== keyState) continue;
        let closedAny = false;
        for (const window of keyState.windows) {
          if (window.closed || !this.isClosed(window.end, watermark)) continue;
          window.closed = true;
          closedAny = true;
          this.emit(state, keyState, window, true, false);
          this.changedWindows.delete(window);
        }
        if (closedAny) this.purgeClosed(state, keyState, watermark);
      }
    }
    for (;;) {
      const due = state.purging.takeDue(watermark);
      if (due === undefined) break;
      for (const keyState of due.items) {
        if (state.keys.get(keyState.key) === keyState) this.purgeClosed(state, keyState, watermark);
      }
    }
  }

  /** Drops closed windows past their retention, and sliding values no window can need. */
  private purgeClosed(state: PartitionState, keyState: KeyState, watermark: number): void {
    const retainMs = this.retainMs();
    const windows = keyState.windows;
    // Windows are by start, and (never overlapping, or all of one size) so by end too: the ones
    // to forget are a prefix.
    let purged = 0;
    while (purged < windows.length) {
      const window = windows[purged] as WindowState;
      if (!window.closed || this.forgetAt(window.end) > watermark) break;
      purged++;
    }
    if (purged === 1) windows.shift();
    else if (purged > 1) windows.splice(0, purged);
    for (const window of windows) {
      if (window.closed) state.purging.add(this.forgetAt(window.end), keyState);
      else break;
    }
    if (keyState.ids !== undefined) {
      // An id is needed while a window holding its time is kept, or may still be made.
      const forgetBefore = watermark - this.idHorizonMs();
      for (const [id, time] of keyState.ids) {
        if (time > forgetBefore) continue;
        if (!windows.some((window) => window.start <= time && time < window.end)) keyState.ids.delete(id);
      }
    }
    if (keyState.values !== undefined && this.window.kind === 'sliding') {
      const keepFrom = watermark - this.graceMs - this.window.sizeMs - retainMs;
      let drop = 0;
      while (drop < keyState.values.length && (keyState.values[drop] as [number, unknown])[0] <= keepFrom)
        drop++;
      if (drop > 0) keyState.values.splice(0, drop);
    }
    if (purged > 0) markDirty(state, keyState);
    if (keyState.windows.length === 0 && (keyState.values === undefined || keyState.values.length === 0)) {
      this.dropKey(state, keyState);
    }
  }

  private scheduleValuesPurge(state: PartitionState, keyState: KeyState): void {
    const first = keyState.values?.[0];
    if (first === undefined || this.window.kind !== 'sliding') return;
    state.purging.add(first[0] + this.graceMs + this.window.sizeMs + this.retainMs(), keyState);
  }

  private dropKey(state: PartitionState, keyState: KeyState): void {
    if (state.keys.get(keyState.key) !== keyState) return;
    markDirty(state, keyState);
    state.emptied.push(keyState);
  }

  /** Removes the keys emptied by the previous close that are still empty. */
  private removeEmptied(state: PartitionState): void {
    if (state.emptied.length === 0) return;
    for (const keyState of state.emptied) {
      if (isEmpty(keyState) && state.keys.get(keyState.key) === keyState) state.keys.delete(keyState.key);
    }
    state.emptied = [];
  }

  private schedule(state: PartitionState, keyState: KeyState): void {
    for (const window of keyState.windows) {
      if (window.closed) state.purging.add(this.forgetAt(window.end), keyState);
      else state.closing.add(window.end + this.graceMs, keyState);
    }
    this.scheduleValuesPurge(state, keyState);
  }

  private encodeKey(keyState: KeyState): EncodedKeyState {
    const encode = this.aggregation.encode;
    const windows = keyState.windows.map(
      (window) =>
        [
          window.start,
          window.end,
          encode === undefined ? window.accumulator : encode(window.accumulator),
          window.events,
          window.revision,
          window.closed ? 1 : 0,
        ] as const,
    );
    return {
      w: windows,
      ...(keyState.values === undefined
        ? {}
        : { v: keyState.values.map((entry) => [entry[0], entry[1]] as const) }),
      ...(keyState.ids === undefined || keyState.ids.size === 0 ? {} : { d: [...keyState.ids] }),
    };
  }

  private decodeKey(key: string, encoded: EncodedKeyState): KeyState {
    const decode = this.aggregation.decode;
    return {
      key,
      windows: encoded.w.map(([start, end, accumulator, events, revision, closed]) => ({
        start,
        end,
        accumulator: decode === undefined ? accumulator : decode(accumulator),
        events,
        revision,
        closed: closed === 1,
        changed: false,
      })),
      values:
        this.window.kind === 'sliding' ? (encoded.v ?? []).map(([time, value]) => [time, value]) : undefined,
      dirty: false,
      ids: encoded.d === undefined ? undefined : new Map(encoded.d.map(([id, time]) => [id, time])),
    };
  }
}

function findWindow(windows: readonly WindowState[], start: number): WindowState | undefined {
  for (const window of windows) if (window.start === start) return window;
  return undefined;
}

function insertWindow(windows: WindowState[], window: WindowState): void {
  let index = windows.length;
  while (index > 0 && (windows[index - 1] as WindowState).start > window.start) index--;
  if (index === windows.length) windows.push(window);
  else windows.splice(index, 0, window);
}

function insertValue(values: [number, unknown][], time: number, value: unknown): void {
  let index = values.length;
  while (index > 0 && (values[index - 1] as [number, unknown])[0] > time) index--;
  if (index === values.length) values.push([time, value]);
  else values.splice(index, 0, [time, value]);
}

function withBounds(list: WindowBounds[] | undefined, bounds: WindowBounds): WindowBounds[] {
  if (list === undefined) return [bounds];
  list.push(bounds);
  return list;
}

function markDirty(state: PartitionState, keyState: KeyState): void {
  if (keyState.dirty) return;
  keyState.dirty = true;
  state.dirty.push(keyState);
}

function isEmpty(keyState: KeyState): boolean {
  return keyState.windows.length === 0 && (keyState.values === undefined || keyState.values.length === 0);
}
