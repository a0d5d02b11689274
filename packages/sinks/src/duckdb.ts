export * from './duckdb/index';
