export { createKafkaSink, type KafkaSink } from './kafka-sink';
export type { KafkaSinkOptions } from './kafka-sink-options';
