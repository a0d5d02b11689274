import type { KafkaTransport } from '@inlet/core';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { afterAll, beforeAll } from 'vitest';
import { describeSinkContract } from '../sink-contract';
import { kafkaSinkUnderTest } from './kafka-sink-contract.test-support';

// The Kafka sink keeps the sink contract on a real broker, read back as a version-gated reader
// of its output topic sees it.

let transport: KafkaTransport;
beforeAll(() => {
  transport = createKafkaJsTransport({
    brokers: testEnvironment().kafkaBrokers,
    clientId: 'kafka-sink-contract',
  });
});
afterAll(() => transport.close());

describeSinkContract('kafka (real broker)', {
  create: () => kafkaSinkUnderTest(transport, uniqueName('kafka-sink-contract')),
  refusedItem: (id) => ({ id, revision: 1, value: 'refused' }),
  runs: 8,
});
