import { DigestedRows, type KeyedRow } from './digested-rows';
import type { ComparePlan, ReconcileSide } from './reconcile-side';

/** A side over rows in memory, counting what it was asked for. */
export function memorySide(description: string, rows: Record<string, Record<string, unknown>>) {
  const asked: number[][] = [];
  let digested: DigestedRows | undefined;
  const keyed: KeyedRow[] = Object.entries(rows).map(([key, values]) => ({ key, values }));
  const side: ReconcileSide & { readonly asked: number[][] } = {
    description,
    asked,
    async columns() {
      return new DigestedRows(keyed).columns();
    },
    async prepare(_plan: ComparePlan) {
      digested = new DigestedRows(keyed);
    },
    async summarise(plan) {
      return (digested as DigestedRows).summarise(plan);
    },
    async digestsIn(plan, buckets) {
      asked.push([...buckets]);
      return (digested as DigestedRows).digestsIn(plan, buckets);
    },
  };
  return side;
}
