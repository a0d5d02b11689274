import type { ResolvedBackboneOptions } from './backbone-options';
import { GroupCoordinator } from './group-coordinator';
import { TopicRegistry } from './topic-registry';
import { TransactionCoordinator } from './transaction-coordinator';

/** The cluster side of the backbone: topics and their logs, groups, transactions. */
export class InMemoryBroker {
  readonly topics: TopicRegistry;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;

  constructor(readonly options: ResolvedBackboneOptions) {
    this.topics = new TopicRegistry(options);
    this.groups = new GroupCoordinator(this.topics);
    this.transactions = new TransactionCoordinator((groupId, offsets) =>
      this.groups.commitTransactional(groupId, offsets),
    );
  }

  /** Stops every timer the broker owns. */
  close(): void {
    this.transactions.close();
    this.groups.close();
  }
}
