/**
 * Items due at a time, taken in time order: a min-heap of the distinct times, each with the items
 * due then. Fixed windows share few distinct times, so most additions are a set insert.
 */
export class TimeQueue<TItem> {
  private readonly heap: number[] = [];
  private readonly due = new Map<number, Set<TItem>>();

  add(time: number, item: TItem): void {
    let items = this.due.get(time);
    if (items === undefined) {
      items = new Set();
      this.due.set(time, items);
      this.push(time);
    }
    items.add(item);
  }

  /** The earliest time with items, or undefined. */
  peek(): number | undefined {
    return this.heap[0];
  }

  /** Removes and returns the items of the earliest time, if it is at or before `time`. */
  takeDue(time: number): { readonly time: number; readonly items: Set<TItem> } | undefined {
    const first = this.heap[0];
    if (first === undefined || first > time) return undefined;
    this.pop();
    const items = this.due.get(first) ?? new Set<TItem>();
    this.due.delete(first);
    return { time: first, items };
  }

  get size(): number {
    return this.heap.length;
  }

  private push(time: number): void {
    const heap = this.heap;
    heap.push(time);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentTime = heap[parent] as number;
      if (parentTime <= time) break;
      heap[index] = parentTime;
      index = parent;
    }
    heap[index] = time;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let index = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[index] = heap[child] as number;
      index = child;
    }
    heap[index] = last;
  }
}
