export { snakeCase } from '../derived-columns';
export type { DerivedDataColumn, DuckDbColumn } from './derived-columns';
export { derivedDataColumns } from './derived-columns';
export { createDuckDbSink, type DuckDbSink } from './duckdb-sink';
export { DuckDbSinkErrorCode } from './duckdb-sink-error-code';
export type { DuckDbDeleteMode, DuckDbSinkMode, DuckDbSinkOptions } from './duckdb-sink-options';
export { exportParquet, type ParquetExportOptions } from './parquet-export';
