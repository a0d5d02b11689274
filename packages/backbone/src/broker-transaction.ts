import type { PartitionOffset } from './parse-offsets';
import type { PartitionLog, TransactionMark, TransactionStatus } from './partition-log';

/** A transactional producer as the coordinator knows it: its id and epoch at InitProducerId. */
export interface ProducerSession {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly epoch: number;
}

/** One transaction on the broker side: what it wrote and the offsets it will commit. */
export class BrokerTransaction implements TransactionMark {
  status: TransactionStatus = 'open';
  readonly partitions = new Set<PartitionLog>();
  readonly pendingOffsets = new Map<string, PartitionOffset[]>();
  expiry: NodeJS.Timeout | undefined;

  constructor(
    readonly session: ProducerSession,
    readonly timeoutMs: number,
  ) {}
}
