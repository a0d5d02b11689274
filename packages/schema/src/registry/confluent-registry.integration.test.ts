import { testEnvironment } from '@inlet/test-support';
import { createConfluentRegistry } from './confluent-registry';
import { describeRegistryContract } from './registry-contract.test-support';

// The same contract the embedded registry passes, against a real Confluent-compatible registry
// (Apicurio Registry's ccompat API, started by scripts/servers/registry.sh).
describeRegistryContract('Confluent REST client on a real registry', {
  create: () => createConfluentRegistry({ url: testEnvironment().schemaRegistryUrl }),
});
