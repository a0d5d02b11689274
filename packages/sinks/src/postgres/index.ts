export { snakeCase } from './column-mapping';
export { InletPostgresSinkError } from './postgres-error-classes';
export { createPostgresSink, type PostgresSink } from './postgres-sink';
export { PostgresSinkErrorCode } from './postgres-sink-error-code';
export type {
  PostgresExactlyOnceOptions,
  PostgresSinkOptions,
  PostgresSinkPool,
} from './postgres-sink-options';
