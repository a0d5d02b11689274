/**
 * The codes of errors from the databases Inlet keeps state in or writes to (PostgreSQL, Redis),
 * classified at the edge from their drivers' errors. Codes are public API and never change
 * meaning; match on them, not on messages.
 */
export const StoreErrorCode = {
  /** The store could not be reached or is overloaded (refused, reset, timed out, too many clients). */
  storeUnavailable: 'INLET_STORE_UNAVAILABLE',
  /** A store transaction lost a race (serialization failure, deadlock, lock timeout); retry it. */
  storeConflict: 'INLET_STORE_CONFLICT',
  /** The store rejected the operation (syntax, permissions, missing table, bad data). */
  storeFailed: 'INLET_STORE_FAILED',
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];
