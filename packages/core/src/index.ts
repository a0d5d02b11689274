export {
  type AvroArraySchema,
  type AvroCodec,
  type AvroCompatibility,
  type AvroDataMode,
  type AvroDecodeResult,
  type AvroEnumSchema,
  type AvroField,
  type AvroFixedSchema,
  type AvroMapSchema,
  type AvroPrimitiveName,
  type AvroPrimitiveSchema,
  type AvroRecordSchema,
  type AvroSchema,
  type AvroSchemaDescribes,
  type AvroSchemaMismatch,
  type AvroSchemaOptions,
  type AvroUnionSchema,
  avroSchema,
  avroSchemaOf,
  canRead,
  type FromAvroSchema,
} from './codecs/avro/index';
export {
  type JSONSchema,
  type JsonSchemaCodec,
  jsonSchema,
  jsonSchemaOf,
} from './codecs/json/json-schema-codec';
export type {
  CodecData,
  DecodeResult,
  PayloadCodec,
  PayloadFormat,
  SomePayloadCodec,
  ValidationResult,
} from './codecs/payload-codec';
export {
  CloudEventHeader,
  cloudEventsSpecVersion,
  contentTypeFor,
  type ParsedContentType,
  parseContentType,
  registryDataSchema,
} from './envelope/cloudevents';
export { type CreateEventOptions, createEvent } from './envelope/create-event';
export {
  type ContentMode,
  type DecodeEventOptions,
  decodeEventRecord,
  type EncodeEventOptions,
  encodeEventRecord,
  type RecordTimestampSource,
  schemaIdOf,
  structuredContentType,
} from './envelope/event-record';
export type {
  EventHeaders,
  EventHeaderValue,
  InletEvent,
  OutgoingEventHeaders,
  TopicEvent,
} from './envelope/inlet-event';
export type { SchemaResolver } from './envelope/schema-resolver';
export { frameConfluent, type UnframeResult, unframeConfluent } from './envelope/wire-format';
export {
  abortedError,
  closedError,
  InletDecodeError,
  InletError,
  InletErrorCode,
  type InletErrorOptions,
  InletKafkaError,
  InletValidationError,
  type RawRecord,
  type RecordHeader,
  throwIfAborted,
  type ValidationIssue,
} from './errors';
export {
  defineEvent,
  type EventContract,
  type EventData,
  type EventDefinition,
  type EventDefinitionInput,
  type EventType,
} from './events/define-event';
export {
  type AnyEventDefinition,
  defineTopic,
  type TopicCleanupPolicy,
  type TopicDefinition,
  type TopicEventData,
  type TopicEventType,
  type TopicSettings,
} from './events/define-topic';
export { type EntityKey, entityKeyBytes, entityKeyFromBytes, entityKeyId } from './events/entity-key';
export { type EventTimeInput, type EventTimeLimits, toEventTime } from './events/event-time';
export { createUuidV7Generator, isUuidV7, type UuidV7Generator, uuidV7Time } from './events/uuid-v7';
export { ResourceLifecycle, type ResourceLifecycleOptions } from './lifecycle/resource-lifecycle';
export { type InletLogger, silentLogger } from './logger';
export {
  checkOptions,
  describeValue,
  type NumberBounds,
  type ObjectOptionRule,
  type OptionRule,
  type OptionShape,
  option,
  required,
  suggestKey,
} from './options/option-rules';
export { Redacted } from './redacted';
export { type BackoffBounds, backoffDelayMs, sleep } from './retry/backoff';
export { type EnsureTopicsResult, ensureTopics } from './transport/ensure-topics';
export { missingTopicError } from './transport/missing-topic-error';
export { murmur2, partitionForKey } from './transport/murmur2';
export {
  checkedStartOffsets,
  type HookOutcome,
  type SettleHookOptions,
  settleHook,
} from './transport/partition-hooks';
export {
  deliveredHeaders,
  forEachOutgoingHeader,
  type HeaderViews,
  headerViews,
} from './transport/record-headers';
export type {
  AssignedPartition,
  BatchControls,
  ConsumerHandlers,
  GroupDescription,
  GroupMemberDescription,
  IncomingBatch,
  IncomingHeaders,
  IncomingRecord,
  IsolationLevel,
  KafkaTransport,
  OutgoingHeaders,
  OutgoingHeaderValue,
  OutgoingRecord,
  PartitionOffsets,
  RecordAck,
  SendOptions,
  TopicPartition,
  TopicPartitionOffset,
  TopicSpec,
  TransportAdmin,
  TransportConsumer,
  TransportConsumerOptions,
  TransportProducer,
  TransportProducerOptions,
  TransportTransaction,
} from './transport/transport';
export {
  type ResolvedTransportConsumerOptions,
  type ResolvedTransportProducerOptions,
  resolveTransportConsumerOptions,
  resolveTransportProducerOptions,
} from './transport/transport-options';
