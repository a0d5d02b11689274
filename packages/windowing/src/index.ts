export {
  type Aggregation,
  type AggregationResult,
  type AnyAggregation,
  aggregate,
  avg,
  count,
  distinctCount,
  max,
  min,
  reduce,
  sum,
  type ValueOf,
} from './aggregations';
export { type Checkpoint, changelogTopicName } from './changelog';
export type { PartitionWatermarks } from './watermarks';
export {
  type HoppingWindows,
  hopping,
  type SessionWindows,
  type SlidingWindows,
  session,
  sliding,
  type TumblingWindows,
  tumbling,
  type WindowKind,
} from './window-kinds';
export {
  type EmitMode,
  type EncodedKeyState,
  type LateEvent,
  type LateOutcome,
  type LatePolicy,
  type PartitionChanges,
  type QuietStreamRule,
  type RefusedInput,
  type SplitKey,
  type WindowBounds,
  type WindowInput,
  WindowOperator,
  type WindowOperatorOptions,
  type WindowOperatorStats,
  type WindowOutput,
  type WindowResult,
  type WindowRetraction,
} from './window-operator';
export { resultKey, WindowResultEvent, windowResultTopic } from './window-results';
export {
  createWindowing,
  type Windowing,
  type WindowingLatePolicy,
  type WindowingOptions,
  type WindowingOutput,
  type WindowingStats,
  type WindowResultData,
  windowingChannels,
} from './windowing';
export { WindowingErrorCode } from './windowing-error-code';
