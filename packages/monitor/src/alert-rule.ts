/** Fields every alert rule has. */
interface RuleBase {
  /** Names the rule in alerts and hooks; unique among the rules. */
  readonly name: string;
  /** The flow it watches; every flow when absent. */
  readonly flow?: string;
  /** How long the condition must hold before the alert fires; default 0. */
  readonly forMs?: number;
  /** How long the condition must be clear before a firing alert resolves; default 0. */
  readonly resolveAfterMs?: number;
}

/** Fires when lag is above `maxEvents` events or `maxSeconds` seconds (either given one). */
export interface LagRule extends RuleBase {
  readonly kind: 'lag';
  readonly maxEvents?: number;
  readonly maxSeconds?: number;
}

/** Fires when the recent p99 freshness (event time to handled) is above `maxMs`. */
export interface FreshnessRule extends RuleBase {
  readonly kind: 'freshness';
  readonly maxMs: number;
}

/**
 * Fires when no new event reached the flow's topics (their end offsets did not move) for
 * `silentForMs` while the source is alive: `broker` (default) means every lag sample in that
 * time succeeded; `producer` means this process's producers sent batches in that time.
 */
export interface SilenceRule extends RuleBase {
  readonly kind: 'silence';
  readonly silentForMs: number;
  readonly alive?: 'broker' | 'producer';
}

/** Fires when the group's committed offsets did not move for `stalledForMs` while it had lag all along. */
export interface StallRule extends RuleBase {
  readonly kind: 'stall';
  readonly stalledForMs: number;
}

/** Fires when more than `maxPerMinute` events were dead-lettered per minute over `windowMs` (default 60 000). */
export interface DeadLetterRateRule extends RuleBase {
  readonly kind: 'dlq-rate';
  readonly maxPerMinute: number;
  readonly windowMs?: number;
}

/**
 * Fires when the latest reconciliation found more than `maxDifferingKeys` (default 0) differing
 * keys, and resolves when a later one finds no more than that. Its `flow` is the name the
 * reconciliation was recorded under (every reconciliation when absent). With `staleAfterMs` it
 * also fires when none was recorded for that long: a schedule that stopped, or whose runs fail.
 */
export interface DriftRule extends RuleBase {
  readonly kind: 'drift';
  readonly maxDifferingKeys?: number;
  readonly staleAfterMs?: number;
}

/** The rules that read flow observations (all but `drift`). */
export type FlowRule = LagRule | FreshnessRule | SilenceRule | StallRule | DeadLetterRateRule;

export type AlertRule = FlowRule | DriftRule;

/** What drift rules read: the latest reconciliation recorded under one name. */
export interface ReconciliationObservation {
  readonly name: string;
  /** When it ran (ms since the epoch). */
  readonly at: number;
  readonly differingKeys: number;
}

/** What the alert rules read about one flow at one instant. */
export interface FlowObservation {
  readonly flow: string;
  /** When observed (ms since the epoch). */
  readonly at: number;
  /** False when the lag could not be read (the broker did not answer). */
  readonly lagRead: boolean;
  readonly lagEvents: number;
  readonly lagSeconds: number | null;
  readonly freshnessP99Ms: number | null;
  /** Sum of the end offsets of the flow's partitions. */
  readonly endOffsetSum: number;
  /** Sum of the group's committed offsets. */
  readonly committedOffsetSum: number;
  readonly deadLetteredTotal: number;
  readonly producedBatchesTotal: number;
}
