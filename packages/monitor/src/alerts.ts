import { checkOptions, closedError, option, required } from '@inlet/core';
import { type ConditionResult, evaluateCondition, evaluateDrift } from './alert-conditions';
import type { AlertRule, DriftRule, FlowObservation, ReconciliationObservation } from './alert-rule';
import type { AlertStatus } from './monitor-snapshot';

/** Told each state change of an alert (never the same state twice in a row). */
export type AlertHook = (change: AlertStatus) => void | Promise<void>;

/** Options of {@link createAlerts}. */
export interface AlertsOptions {
  readonly rules: readonly AlertRule[];
  readonly hooks?: readonly AlertHook[];
  /** What the rules read: one observation per flow, taken at `now()`. */
  readonly observe: () => readonly FlowObservation[] | Promise<readonly FlowObservation[]>;
  /** What `drift` rules read: the latest reconciliation of each name, at each evaluation. */
  readonly reconciliations?: () => readonly ReconciliationObservation[];
  /** Evaluates on this interval; 0 (the default) evaluates only when `evaluate()` is called. */
  readonly intervalMs?: number;
  /** The clock, for tests; default `Date.now`. */
  readonly now?: () => number;
  /** A hook that throws or rejects is reported here; the others still run. */
  readonly onHookError?: (error: unknown, change: AlertStatus) => void;
  readonly signal?: AbortSignal;
}

/** Alert rules evaluated over flow observations, reporting state changes to hooks. */
export interface Alerts extends AsyncDisposable {
  /** Observes, evaluates every rule, calls hooks for state changes, and resolves with them. */
  evaluate(): Promise<AlertStatus[]>;
  /** The latest state of every alert that has fired at least once. */
  statuses(): AlertStatus[];
  /** Stops the interval and waits for an evaluation in flight; idempotent. */
  close(): Promise<void>;
}

interface AlertState {
  firing: boolean;
  /** When the condition last started to hold (or to be clear), for `forMs`/`resolveAfterMs`. */
  changedAt: number | undefined;
  status: AlertStatus | undefined;
}

const ruleKinds = ['lag', 'freshness', 'silence', 'stall', 'dlq-rate', 'drift'];

const alertsOptionShape = {
  rules: required(option.arrayOf(option.custom('an alert rule ({ kind, name, ... })', isRule))),
  hooks: option.arrayOf(option.function('a function (change) => void | Promise<void>')),
  observe: required(option.function('a function () => FlowObservation[]')),
  reconciliations: option.function('a function () => ReconciliationObservation[]'),
  intervalMs: option.integer({ min: 0 }),
  now: option.function('a function () => number'),
  onHookError: option.function('a function (error, change) => void'),
  signal: option.custom('an AbortSignal', (value) => value instanceof AbortSignal),
};

function isRule(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const rule = value as Record<string, unknown>;
  const positive = (field: string) => typeof rule[field] === 'number' && (rule[field] as number) >= 0;
  const optionalPositive = (field: string) => rule[field] === undefined || positive(field);
  if (typeof rule.name !== 'string' || rule.name === '' || !ruleKinds.includes(rule.kind as string))
    return false;
  if (!optionalPositive('forMs') || !optionalPositive('resolveAfterMs')) return false;
  switch (rule.kind) {
    case 'lag':
      return (
        (positive('maxEvents') || positive('maxSeconds')) &&
        optionalPositive('maxEvents') &&
        optionalPositive('maxSeconds')
      );
    case 'freshness':
      return positive('maxMs');
    case 'silence':
      return (
        positive('silentForMs') &&
        (rule.alive === undefined || rule.alive === 'broker' || rule.alive === 'producer')
      );
    case 'stall':
      return positive('stalledForMs');
    case 'drift':
      return optionalPositive('maxDifferingKeys') && optionalPositive('staleAfterMs');
    default:
      return positive('maxPerMinute') && optionalPositive('windowMs');
  }
}

function historySpanMs(rules: readonly AlertRule[]): number {
  const spans = rules.map((rule) =>
    rule.kind === 'silence'
      ? rule.silentForMs
      : rule.kind === 'stall'
        ? rule.stalledForMs
        : rule.kind === 'dlq-rate'
          ? (rule.windowMs ?? 60_000)
          : 0,
  );
  return Math.max(0, ...spans);
}

/**
 * Creates alert rules over flow observations (and, for `drift` rules, reconciliations). An alert
 * fires once its condition held for `forMs` and resolves once it was clear for `resolveAfterMs`;
 * hooks hear only those changes.
 */
export function createAlerts(options: AlertsOptions): Alerts {
  checkOptions('createAlerts', options, alertsOptionShape, (given, issues) => {
    const names = (given.rules as AlertRule[]).map((rule) => rule.name);
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated !== undefined)
      issues.push({ path: 'rules', message: `has two rules named ${JSON.stringify(repeated)}` });
  });
  const { rules, observe } = options;
  const hooks = options.hooks ?? [];
  const now = options.now ?? Date.now;
  const keepMs = historySpanMs(rules);
  const startedAt = now();
  const driftRules = rules.filter((rule): rule is DriftRule => rule.kind === 'drift');
  const histories = new Map<string, FlowObservation[]>();
  const states = new Map<string, AlertState>();
  let evaluating: Promise<AlertStatus[]> | undefined;
  let closing: Promise<void> | undefined;
  let running = false;

  const record = (observations: readonly FlowObservation[]) => {
    for (const observation of observations) {
      const history = histories.get(observation.flow) ?? [];
      history.push(observation);
      // Keep one observation older than the longest window: it anchors the window's start.
      const from = observation.at - keepMs;
      while (history.length > 1 && (history[1] as FlowObservation).at <= from) history.shift();
      histories.set(observation.flow, history);
    }
  };

  const step = (
    rule: AlertRule,
    flow: string,
    result: ConditionResult,
    at: number,
  ): AlertStatus | undefined => {
    const id = `${rule.name}\u0000${flow}`;
    const state = states.get(id) ?? { firing: false, changedAt: undefined, status: undefined };
    states.set(id, state);
    if (result.active === state.firing) {
      state.changedAt = undefined;
      return undefined;
    }
    state.changedAt ??= at;
    const waitMs = state.firing ? (rule.resolveAfterMs ?? 0) : (rule.forMs ?? 0);
    if (at - state.changedAt < waitMs) return undefined;
    state.firing = result.active;
    state.changedAt = undefined;
    state.status = {
      rule: rule.name,
      flow,
      state: result.active ? 'firing' : 'resolved',
      since: new Date(at).toISOString(),
      message: result.message,
      value: result.value,
    };
    return state.status;
  };

  const runHooks = async (changes: readonly AlertStatus[]) => {
    for (const change of changes) {
      await Promise.all(
        hooks.map(async (hook) => {
          try {
            await hook(change);
          } catch (error) {
            options.onHookError?.(error, change);
          }
        }),
      );
    }
  };

  const evaluateOnce = async (): Promise<AlertStatus[]> => {
    record(await observe());
    const at = now();
    const changes: AlertStatus[] = [];
    for (const [flow, history] of histories) {
      for (const rule of rules) {
        if (rule.kind === 'drift' || (rule.flow !== undefined && rule.flow !== flow)) continue;
        const change = step(rule, flow, evaluateCondition(rule, history, at), at);
        if (change !== undefined) changes.push(change);
      }
    }
    if (driftRules.length > 0) {
      const latest = new Map((options.reconciliations?.() ?? []).map((each) => [each.name, each]));
      for (const rule of driftRules) {
        const names = rule.flow === undefined ? [...latest.keys()] : [rule.flow];
        for (const name of names) {
          const change = step(rule, name, evaluateDrift(rule, latest.get(name), at, startedAt), at);
          if (change !== undefined) changes.push(change);
        }
      }
    }
    await runHooks(changes);
    return changes;
  };

  const evaluate = (): Promise<AlertStatus[]> => {
    if (closing !== undefined) return Promise.reject(closedError('alerts'));
    // Evaluations never overlap: a slow observation makes the next call wait, not race it.
    const previous = evaluating ?? Promise.resolve([]);
    const next = previous
      .catch(() => [])
      .then(async () => {
        running = true;
        try {
          return await evaluateOnce();
        } finally {
          running = false;
        }
      });
    evaluating = next;
    return next;
  };

  const intervalMs = options.intervalMs ?? 0;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          // An interval tick while an evaluation runs is skipped rather than queued.
          if (!running) void evaluate().catch(() => undefined);
        }, intervalMs)
      : undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (timer !== undefined) clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      await evaluating?.catch(() => undefined);
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) {
    void close();
  } else options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    evaluate,
    statuses: () =>
      [...states.values()].flatMap((state) => (state.status === undefined ? [] : [state.status])),
    close,
    [Symbol.asyncDispose]: close,
  };
}
