export {
  createMemorySink,
  type MemorySink,
  type MemorySinkOptions,
  type StoredEntity,
} from './memory-sink';
export {
  type BatchingOptions,
  createPipeline,
  type Pipeline,
  type PipelineOptions,
  type PipelineStats,
  type SinkRetryOptions,
} from './pipeline';
export type {
  Sink,
  SinkBatch,
  SinkChange,
  SinkDelete,
  SinkRejection,
  SinkUpsert,
  SinkWriteContext,
  SinkWriteResult,
} from './sink';
export { newestPerKey, sinkChangeOf } from './sink-changes';
export { type SinkRetryMessage, type SinkVisibleMessage, sinkChannels } from './sink-diagnostics';
