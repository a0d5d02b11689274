import { InletError, type InletErrorOptions } from '@inlet/core';
import type { StoreErrorCode } from './store-error-code';

/** An error from a database (Redis, PostgreSQL...), classified into an Inlet code; the driver's error is the cause. */
export class InletStoreError extends InletError {
  override readonly name: string = 'InletStoreError';
  /** The kind of database: `'postgres'`, `'redis'`, or the name a store of your own gives. */
  readonly backend: string;
  /**
   * What the driver called the failure, when it said: a PostgreSQL SQLSTATE (`40001`), a Redis
   * reply's prefix (`WRONGTYPE`), a socket error code (`ECONNREFUSED`) or the driver's error name.
   */
  readonly driverCode: string | undefined;

  constructor(
    code: StoreErrorCode,
    message: string,
    backend: string,
    driverCode: string | undefined,
    options: InletErrorOptions = {},
  ) {
    super(code, message, options);
    this.backend = backend;
    this.driverCode = driverCode;
  }
}
