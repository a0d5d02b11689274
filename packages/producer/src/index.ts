export {
  BatchRefusedError,
  createProducer,
  type EventInput,
  type InletProducer,
  type ProducerSendOptions,
  type ProducerTransaction,
  type SendResult,
  type TombstoneInput,
  type TopicEventInput,
} from './producer';
export {
  type BatchFailedMessage,
  type BatchRetryMessage,
  type BatchSentMessage,
  type ProducerStats,
  producerChannels,
} from './producer-diagnostics';
export { ProducerErrorCode } from './producer-error-code';
export {
  type BufferOptions,
  type LingerOptions,
  type ProducerOptions,
  producerDefaults,
  type ResolvedProducerOptions,
  type RetryOptions,
} from './producer-options';
export { SendFailedError, type SendFailureReason } from './send-failed-error';
export { activeTraceContext, type TraceContext } from './trace-context';
