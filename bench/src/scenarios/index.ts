import type { Scenario } from '../harness';
import { envelopeScenarios } from './envelope';
import { kafkaBaselineScenarios } from './kafka-baseline';

export const allScenarios: readonly Scenario[] = [...kafkaBaselineScenarios, ...envelopeScenarios];
