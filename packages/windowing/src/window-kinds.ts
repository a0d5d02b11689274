import { InletError, InletErrorCode } from '@inlet/core';

/**
 * Windows of fixed size aligned to the epoch: `[k·size + offset, (k+1)·size + offset)`. An event
 * at time `t` is in exactly one.
 */
export interface TumblingWindows {
  readonly kind: 'tumbling';
  readonly sizeMs: number;
  readonly offsetMs: number;
}

/**
 * Windows of `sizeMs` starting every `advanceMs`, aligned to the epoch (`k·advance + offset`):
 * an event is in every window whose `[start, end)` holds its time (`size / advance` of them).
 */
export interface HoppingWindows {
  readonly kind: 'hopping';
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly offsetMs: number;
}

/**
 * One window per distinct event time `t` of a key, `[t − size + 1, t + 1)`: the key's events in
 * the `sizeMs` up to and including that event ("the last ten minutes" at each event). An event
 * is also added to the key's later windows whose range holds it.
 */
export interface SlidingWindows {
  readonly kind: 'sliding';
  readonly sizeMs: number;
}

/**
 * Activity sessions per key: an event at `t` spans `[t, t + gap)`; spans of one key that overlap
 * merge, so events less than `gapMs` apart share a session `[first, last + gap)`.
 */
export interface SessionWindows {
  readonly kind: 'session';
  readonly gapMs: number;
}

export type WindowKind = TumblingWindows | HoppingWindows | SlidingWindows | SessionWindows;

function invalid(what: string): InletError {
  return new InletError(InletErrorCode.invalidOption, `invalid window: ${what}`);
}

function checkDuration(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(`${name} must be a positive whole number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function checkOffset(sizeMs: number, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= sizeMs) {
    throw invalid(`offsetMs must be a whole number in [0, ${sizeMs}), got ${String(value)}`);
  }
  return value;
}

export function tumbling(options: { readonly sizeMs: number; readonly offsetMs?: number }): TumblingWindows {
  const sizeMs = checkDuration('sizeMs', options.sizeMs);
  return { kind: 'tumbling', sizeMs, offsetMs: checkOffset(sizeMs, options.offsetMs) };
}

export function hopping(options: {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly offsetMs?: number;
}): HoppingWindows {
  const sizeMs = checkDuration('sizeMs', options.sizeMs);
  const advanceMs = checkDuration('advanceMs', options.advanceMs);
  if (advanceMs > sizeMs) throw invalid(`advanceMs (${advanceMs}) must not exceed sizeMs (${sizeMs})`);
  return { kind: 'hopping', sizeMs, advanceMs, offsetMs: checkOffset(advanceMs, options.offsetMs) };
}

export function sliding(options: { readonly sizeMs: number }): SlidingWindows {
  return { kind: 'sliding', sizeMs: checkDuration('sizeMs', options.sizeMs) };
}

export function session(options: { readonly gapMs: number }): SessionWindows {
  return { kind: 'session', gapMs: checkDuration('gapMs', options.gapMs) };
}

/** The start of the aligned window of `step` holding `time` (floor, also for times before 1970). */
export function alignedStart(time: number, step: number, offset: number): number {
  return Math.floor((time - offset) / step) * step + offset;
}

/**
 * Starts of the fixed windows (tumbling, hopping) holding `time`, earliest first.
 */
export function fixedWindowStarts(kind: TumblingWindows | HoppingWindows, time: number): number[] {
  if (kind.kind === 'tumbling') return [alignedStart(time, kind.sizeMs, kind.offsetMs)];
  // Walk back from the latest aligned start: stepping from `last - size` would leave the
  // alignment whenever `advance` does not divide `size`.
  const starts: number[] = [];
  for (
    let start = alignedStart(time, kind.advanceMs, kind.offsetMs);
    start > time - kind.sizeMs;
    start -= kind.advanceMs
  ) {
    starts.unshift(start);
  }
  return starts;
}

export function windowSizeMs(kind: WindowKind): number {
  return kind.kind === 'session' ? kind.gapMs : kind.sizeMs;
}
