import type { QuietStreamRule } from './window-operator';

/** A partition's place in event time, as the changelog keeps it (null: nothing seen yet). */
export interface PartitionWatermarks {
  /** The greatest event time seen in the partition. */
  readonly maxEventTime: number | null;
  /** The watermark the partition's windows were closed by. */
  readonly watermark: number | null;
}

interface PartitionTime {
  maxEventTime: number;
  applied: number;
  lastActivity: number;
  caughtUp: boolean;
}

export interface WatermarkTrackerOptions {
  readonly outOfOrdernessMs: number;
  readonly idleTimeoutMs: number;
  readonly quiet?: QuietStreamRule;
  readonly clock: () => number;
}

const unseen = Number.NEGATIVE_INFINITY;

/**
 * Watermarks per partition and for the operator. A partition's own watermark is the greatest
 * event time it delivered minus the allowed disorder. The operator's is the minimum over
 * partitions that are not idle (the greatest, once every one is idle); it never goes backwards while the assignment stays, and each
 * partition's windows are closed by the highest operator watermark it saw (so a partition's
 * watermark never goes backwards, even when a rebalance brings a partition that is behind).
 */
export class WatermarkTracker {
  private readonly partitions = new Map<string, PartitionTime>();
  private operator = unseen;

  constructor(private readonly options: WatermarkTrackerOptions) {}

  assign(partition: string, restored?: PartitionWatermarks): void {
    this.partitions.set(partition, {
      maxEventTime: restored?.maxEventTime ?? unseen,
      applied: restored?.watermark ?? unseen,
      lastActivity: this.options.clock(),
      caughtUp: false,
    });
    this.operator = this.computed() ?? this.operator;
  }

  revoke(partition: string): void {
    this.partitions.delete(partition);
    this.operator = this.computed() ?? this.operator;
  }

  observe(partition: string, maxEventTime: number): void {
    const time = this.partitions.get(partition);
    if (time === undefined) return;
    if (maxEventTime > time.maxEventTime) time.maxEventTime = maxEventTime;
    time.lastActivity = this.options.clock();
  }

  setCaughtUp(partition: string, caughtUp: boolean): void {
    const time = this.partitions.get(partition);
    if (time !== undefined) time.caughtUp = caughtUp;
  }

  /** Recomputes the operator watermark; returns the partitions whose own watermark moved. */
  advance(): string[] {
    const computed = this.computed();
    if (computed !== undefined && computed > this.operator) this.operator = computed;
    const moved: string[] = [];
    for (const [partition, time] of this.partitions) {
      if (this.operator > time.applied) {
        time.applied = this.operator;
        moved.push(partition);
      }
    }
    return moved;
  }

  current(): number {
    return this.operator;
  }

  applied(partition: string): number {
    return this.partitions.get(partition)?.applied ?? unseen;
  }

  snapshot(partition: string): PartitionWatermarks {
    const time = this.partitions.get(partition);
    const finite = (value: number | undefined) => (value === undefined || value === unseen ? null : value);
    return { maxEventTime: finite(time?.maxEventTime), watermark: finite(time?.applied) };
  }

  /** The minimum over active partitions, the quiet-stream rule's, or undefined when neither applies. */
  private computed(): number | undefined {
    const now = this.options.clock();
    let lowest: number | undefined;
    let highest: number | undefined;
    let everyQuiet = this.partitions.size > 0;
    const quiet = this.options.quiet;
    for (const time of this.partitions.values()) {
      const idleFor = now - time.lastActivity;
      if (quiet === undefined || idleFor < quiet.afterMs || !time.caughtUp) everyQuiet = false;
      const own = time.maxEventTime - this.options.outOfOrdernessMs;
      if (highest === undefined || own > highest) highest = own;
      if (idleFor >= this.options.idleTimeoutMs) continue;
      if (lowest === undefined || own < lowest) lowest = own;
    }
    // Every partition idle: none holds the others back, so the watermark is the highest.
    lowest ??= highest;
    if (everyQuiet && quiet !== undefined) {
      const byClock = now - (quiet.maxDelayMs ?? this.options.outOfOrdernessMs);
      return lowest === undefined ? byClock : Math.max(lowest, byClock);
    }
    return lowest;
  }
}
