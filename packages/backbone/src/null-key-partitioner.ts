// Kafka's clients place null-keyed records with a sticky partitioner: a whole batch goes to one
// partition and the next batch to another. The model has no batches, so it deals such records out
// round-robin per topic (what the Java client did before 2.4): the spread over time is the same,
// and the placement is deterministic, which tests built on the backbone rely on.
export class NullKeyPartitioner {
  private readonly next = new Map<string, number>();

  partition(topic: string, partitionCount: number): number {
    const turn = this.next.get(topic) ?? 0;
    this.next.set(topic, turn + 1);
    return turn % partitionCount;
  }
}
