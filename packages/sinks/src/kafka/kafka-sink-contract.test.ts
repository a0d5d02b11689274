import { createInMemoryBackbone } from '@inlet/backbone';
import { afterAll } from 'vitest';
import { describeSinkContract } from '../sink-contract';
import { kafkaSinkUnderTest } from './kafka-sink-contract.test-support';

// The Kafka sink keeps the sink contract on the in-memory backbone, read back as a version-gated
// reader of its output topic sees it.

const backbone = createInMemoryBackbone({ defaultPartitions: 1 });
afterAll(() => backbone.close());

describeSinkContract('kafka (in-memory backbone)', {
  create: () => kafkaSinkUnderTest(backbone, 'kafka-sink-contract'),
  refusedItem: (id) => ({ id, revision: 1, value: 'refused' }),
  runs: 15,
});
