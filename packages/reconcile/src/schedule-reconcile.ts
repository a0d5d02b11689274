import { checkOptions, closedError, InletError, InletErrorCode, option, required } from '@inlet/core';
import { type ReconcileOptions, reconcile, reconcileShape } from './reconcile';
import type { ReconcileReport } from './reconcile-report';

export interface ScheduledReconcileOptions extends ReconcileOptions {
  /** Time from the end of one run to the start of the next. The first run starts at once. */
  readonly everyMs: number;
  /** Called with each report that did not match. Give it, `onReport`, or both. */
  readonly onDrift?: (report: ReconcileReport) => void;
  /**
   * Called with every report, matched or not: `(report) => monitor.setReconciliation({ ...report, name })`
   * hands them to a @inlet/monitor `drift` rule.
   */
  readonly onReport?: (report: ReconcileReport) => void;
  /** Called when a run fails (the schedule carries on). Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** Runs of `reconcile` on a schedule. */
export interface ScheduledReconcile {
  /** Runs done so far (failed ones included). */
  readonly runs: number;
  /** Stops the schedule: aborts a run under way and waits for it. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const scheduleShape = {
  ...reconcileShape,
  everyMs: required(option.integer({ min: 1 })),
  onDrift: option.function('a function (report) => void'),
  onReport: option.function('a function (report) => void'),
  onError: option.function('a function (error) => void'),
};

/**
 * Reconciles again and again, `everyMs` apart, calling `onDrift` with every report that found a
 * difference and `onReport` with every report. `signal` (or `close()`) stops it.
 */
export function scheduleReconcile(options: ScheduledReconcileOptions): ScheduledReconcile {
  checkOptions('scheduleReconcile', options, scheduleShape, (given, issues) => {
    if (given.onDrift === undefined && given.onReport === undefined)
      issues.push({ path: 'onDrift', message: 'is required unless onReport is given' });
  });
  const { everyMs, onDrift, onReport, onError, signal: outer, ...run } = options;
  const stop = new AbortController();
  let runs = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const once = async () => {
    try {
      const report = await reconcile({ ...run, signal: stop.signal });
      onReport?.(report);
      if (!report.matched) onDrift?.(report);
    } catch (error) {
      if (!(stop.signal.aborted && InletError.hasCode(error, InletErrorCode.aborted))) onError?.(error);
    } finally {
      runs += 1;
    }
  };
  const next = (delayMs: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      running = once().finally(() => {
        running = undefined;
        next(everyMs);
      });
    }, delayMs);
  };
  const close = async () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    stop.abort(closedError('the reconcile schedule'));
    await running;
  };
  outer?.addEventListener('abort', () => void close(), { once: true });
  next(0);
  return {
    get runs() {
      return runs;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
