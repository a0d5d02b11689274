// The pool types the options take, from @inlet/postgres, so the options are documented whole.
export type { PostgresPoolClient, PostgresQueryResult } from '@inlet/postgres';
export { snakeCase } from '../derived-columns';
export { InletPostgresSinkError } from './postgres-error-classes';
export { createPostgresSink, type PostgresSink } from './postgres-sink';
export { PostgresSinkErrorCode } from './postgres-sink-error-code';
export type {
  PostgresExactlyOnceOptions,
  PostgresSinkOptions,
  PostgresSinkPool,
} from './postgres-sink-options';
