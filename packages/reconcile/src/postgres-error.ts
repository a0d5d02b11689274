import { multidimensionalMarker } from './postgres-canonical-sql';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';

// SQLSTATEs that mean the table changed under a run (dropped, a column dropped): our codes, not
// the driver's. Everything else (connections, timeouts) is passed through as the driver raised it.
const bySqlState: Readonly<Record<string, ReconcileErrorCode>> = {
  '42P01': ReconcileErrorCode.missingTable,
  '42703': ReconcileErrorCode.missingColumn,
};

/** A PostgreSQL error met while reading `what`, in this package's codes where one fits. */
export function classifyPostgresError(error: unknown, what: string): unknown {
  const sqlState = (error as { code?: unknown } | null)?.code;
  const message = String((error as { message?: unknown } | null)?.message);
  const refused = message.indexOf(multidimensionalMarker);
  if (sqlState === '22P02' && refused >= 0)
    return reconcileError(
      ReconcileErrorCode.uncomparableType,
      `${what}: a ${message.slice(refused + 'inlet reconcile: '.length).replace(/"$/, '')}, which reconciliation cannot compare (one-dimensional arrays only for this type)`,
      error,
    );
  const code = typeof sqlState === 'string' ? bySqlState[sqlState] : undefined;
  return code === undefined ? error : reconcileError(code, `${what}: ${(error as Error).message}`, error);
}
