export { classifyPostgresError } from './classify-postgres-error';
export { postgresKey } from './postgres-key';
export type {
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryable,
  PostgresQueryResult,
} from './postgres-pool';
export { postgresTableName } from './postgres-table-name';
export { PostgresTableSetup } from './postgres-table-setup';
