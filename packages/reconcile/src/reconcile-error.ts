import { InletError } from '@inlet/core';
import type { ReconcileErrorCode } from './reconcile-error-code';

/** An error of this package: never retryable (the data or the definitions are wrong, not the network). */
export function reconcileError(code: ReconcileErrorCode, message: string, cause?: unknown): InletError {
  return new InletError(code, message, { cause, retryable: false });
}
