import type { Scenario } from '../harness';
import { kafkaBaselineScenarios } from './kafka-baseline';

export const allScenarios: readonly Scenario[] = [...kafkaBaselineScenarios];
