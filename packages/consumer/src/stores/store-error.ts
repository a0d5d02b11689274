import { InletError, InletErrorCode, type InletErrorOptions } from '@inlet/core';

/** The kind of database behind a durable store. */
export type StoreBackend = 'redis' | 'postgres';

/** An error from Redis or PostgreSQL, classified into an Inlet code; the driver's error is the cause. */
export class InletStoreError extends InletError {
  override readonly name: string = 'InletStoreError';
  readonly backend: StoreBackend;
  /**
   * What the driver called the failure, when it said: a PostgreSQL SQLSTATE (`40001`), a Redis
   * reply's prefix (`WRONGTYPE`), a socket error code (`ECONNREFUSED`) or the driver's error name.
   */
  readonly driverCode: string | undefined;

  constructor(
    code: InletErrorCode,
    message: string,
    backend: StoreBackend,
    driverCode: string | undefined,
    options: InletErrorOptions = {},
  ) {
    super(code, message, options);
    this.backend = backend;
    this.driverCode = driverCode;
  }
}

/** The outcome of classifying one driver error. */
export interface StoreErrorClass {
  readonly code: InletErrorCode;
  readonly retryable: boolean;
}

export const unavailable: StoreErrorClass = { code: InletErrorCode.storeUnavailable, retryable: true };
export const conflict: StoreErrorClass = { code: InletErrorCode.storeConflict, retryable: true };
export const failed: StoreErrorClass = { code: InletErrorCode.storeFailed, retryable: false };

// Socket-level failures both drivers pass through from Node: the server may answer next time.
const retryableSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The socket error code (`ECONNREFUSED`...) of a Node network error, also inside an AggregateError. */
export function socketErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && retryableSocketCodes.has(code)) return code;
  // Node's happy-eyeballs connect reports one failure per address in an AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    for (const each of inner) {
      const innerCode = socketErrorCode(each);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/** The message of anything thrown, for our own messages. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
