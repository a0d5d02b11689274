import { createMemoryDedupStore, createMemoryVersionStore } from './memory-stores';
import { describeDedupStoreContract, describeVersionStoreContract } from './store-contract.test-support';

// Memory stores live and die with their process: no durability to show, and close() only forgets.
const memory = { durable: false, rejectsAfterClose: false } as const;

describeDedupStoreContract('memory', () => createMemoryDedupStore(), memory);
describeVersionStoreContract('memory', () => createMemoryVersionStore(), memory);
