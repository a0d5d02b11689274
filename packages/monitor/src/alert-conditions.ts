import type { DriftRule, FlowObservation, FlowRule, ReconciliationObservation } from './alert-rule';

/** Whether a rule's condition holds on a flow now, and the value it looked at. */
export interface ConditionResult {
  readonly active: boolean;
  readonly value: number | null;
  readonly message: string;
}

/** Observations of the last `spanMs`, and whether they reach back that far. */
function window(history: readonly FlowObservation[], now: number, spanMs: number) {
  const from = now - spanMs;
  const inside = history.filter((each) => each.at >= from);
  const before = history.filter((each) => each.at < from).at(-1);
  // The last observation at or before the window start anchors it: the state held from there.
  const anchored = before !== undefined || (inside[0] !== undefined && inside[0].at <= from);
  return { samples: before === undefined ? inside : [before, ...inside], covered: anchored };
}

/** Evaluates a rule on one flow's observations, oldest first, the latest being now. */
export function evaluateCondition(
  rule: FlowRule,
  history: readonly FlowObservation[],
  now: number,
): ConditionResult {
  const latest = history.at(-1);
  if (latest === undefined) return { active: false, value: null, message: 'no observation yet' };
  switch (rule.kind) {
    case 'lag': {
      if (rule.maxSeconds !== undefined && latest.lagSeconds !== null && latest.lagSeconds > rule.maxSeconds)
        return {
          active: true,
          value: latest.lagSeconds,
          message: `lag ${latest.lagSeconds.toFixed(1)} s > ${rule.maxSeconds} s`,
        };
      if (rule.maxEvents !== undefined && latest.lagEvents > rule.maxEvents)
        return {
          active: true,
          value: latest.lagEvents,
          message: `lag ${latest.lagEvents} events > ${rule.maxEvents}`,
        };
      const value = rule.maxSeconds !== undefined ? latest.lagSeconds : latest.lagEvents;
      return { active: false, value, message: 'lag within bounds' };
    }
    case 'freshness': {
      const value = latest.freshnessP99Ms;
      const active = value !== null && value > rule.maxMs;
      return {
        active,
        value,
        message: active ? `p99 freshness ${value} ms > ${rule.maxMs} ms` : 'freshness within bounds',
      };
    }
    case 'silence': {
      const { samples, covered } = window(history, now, rule.silentForMs);
      const first = samples[0];
      if (!covered || first === undefined)
        return { active: false, value: null, message: 'not observed long enough' };
      const silent = samples.every((each) => each.lagRead && each.endOffsetSum === first.endOffsetSum);
      const alive =
        rule.alive === 'producer'
          ? latest.producedBatchesTotal > first.producedBatchesTotal
          : samples.every((each) => each.lagRead);
      const silentMs = now - first.at;
      return silent && alive
        ? { active: true, value: silentMs, message: `no new event for ${Math.round(silentMs / 1000)} s` }
        : { active: false, value: null, message: 'events arriving' };
    }
    case 'stall': {
      const { samples, covered } = window(history, now, rule.stalledForMs);
      const first = samples[0];
      if (!covered || first === undefined)
        return { active: false, value: null, message: 'not observed long enough' };
      const stalled = samples.every(
        (each) => each.lagRead && each.lagEvents > 0 && each.committedOffsetSum === first.committedOffsetSum,
      );
      return stalled
        ? {
            active: true,
            value: latest.lagEvents,
            message: `no commit for ${Math.round((now - first.at) / 1000)} s with lag ${latest.lagEvents}`,
          }
        : { active: false, value: latest.lagEvents, message: 'commits progressing' };
    }
    case 'dlq-rate': {
      const spanMs = rule.windowMs ?? 60_000;
      const { samples } = window(history, now, spanMs);
      const first = samples[0] ?? latest;
      const elapsedMs = Math.max(now - first.at, 1);
      const perMinute =
        ((latest.deadLetteredTotal - first.deadLetteredTotal) * 60_000) / Math.max(elapsedMs, spanMs);
      const active = perMinute > rule.maxPerMinute;
      return {
        active,
        value: perMinute,
        message: active
          ? `${perMinute.toFixed(1)} dead-lettered/min > ${rule.maxPerMinute}`
          : 'dead-letter rate within bounds',
      };
    }
  }
}

/**
 * Evaluates a drift rule on the latest reconciliation of one name (undefined when none was
 * recorded since `startedAt`, the time the alerts were created).
 */
export function evaluateDrift(
  rule: DriftRule,
  latest: ReconciliationObservation | undefined,
  now: number,
  startedAt: number,
): ConditionResult {
  const lastAt = latest?.at ?? startedAt;
  if (rule.staleAfterMs !== undefined && now - lastAt > rule.staleAfterMs)
    return {
      active: true,
      value: null,
      message: `no reconciliation for ${Math.round((now - lastAt) / 1000)} s`,
    };
  if (latest === undefined) return { active: false, value: null, message: 'no reconciliation yet' };
  const max = rule.maxDifferingKeys ?? 0;
  const active = latest.differingKeys > max;
  return {
    active,
    value: latest.differingKeys,
    message: active
      ? `${latest.differingKeys} differing keys${max > 0 ? ` > ${max}` : ''}`
      : latest.differingKeys === 0
        ? 'no differences'
        : `${latest.differingKeys} differing keys <= ${max}`,
  };
}
