export { createKafkaSink, type KafkaSink } from './kafka-sink';
export type { KafkaSinkOptions, KafkaSinkOutput } from './kafka-sink-options';
