export { classifyKafkaJsError } from './classify-kafkajs-error';
export {
  type ConnectionRetryOptions,
  connectionDefaults,
  type KafkaConnectionOptions,
  type ResolvedKafkaConnectionOptions,
  type ResolvedSaslOptions,
  resolveConnectionOptions,
  type SaslMechanism,
  type SaslOptions,
  saslMechanisms,
} from './connection-options';
export {
  createKafkaJsTransport,
  type KafkaJsTransport,
  type KafkaJsTransportOptions,
  type ResolvedKafkaJsTransportOptions,
} from './kafkajs-transport';
