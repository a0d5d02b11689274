import type { Scenario } from '../harness';
import { consumerScenarios } from './consumer';
import { envelopeScenarios } from './envelope';
import { kafkaBaselineScenarios } from './kafka-baseline';
import { producerScenarios } from './producer';
import { registryScenarios } from './registry';
import { sinkDuckDbScenarios } from './sink-duckdb';
import { sinkLatencyScenarios } from './sink-latency';
import { sinkPostgresScenarios } from './sink-postgres';
import { sinkRedisScenarios } from './sink-redis';
import { windowingKafkaScenarios } from './windowing-kafka';
import { windowingLatencyScenarios } from './windowing-latency';
import { windowingOperatorScenarios } from './windowing-operator';
import { windowingStateScenarios } from './windowing-state';

export const allScenarios: readonly Scenario[] = [
  ...kafkaBaselineScenarios,
  ...envelopeScenarios,
  ...registryScenarios,
  ...producerScenarios,
  ...consumerScenarios,
  ...sinkPostgresScenarios,
  ...sinkRedisScenarios,
  ...sinkLatencyScenarios,
  ...sinkDuckDbScenarios,
  ...windowingOperatorScenarios,
  ...windowingKafkaScenarios,
  ...windowingStateScenarios,
  ...windowingLatencyScenarios,
];
