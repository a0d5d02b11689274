import { StoreErrorCode } from './store-error-code';

/** The outcome of classifying one driver error: its code, and whether trying again may succeed. */
export interface StoreErrorClass {
  readonly code: StoreErrorCode;
  readonly retryable: boolean;
}

/** The three outcomes a driver error is classified into, each with its `retryable` flag. */
export const storeErrorClasses = {
  unavailable: { code: StoreErrorCode.storeUnavailable, retryable: true },
  conflict: { code: StoreErrorCode.storeConflict, retryable: true },
  failed: { code: StoreErrorCode.storeFailed, retryable: false },
} as const satisfies Record<string, StoreErrorClass>;
