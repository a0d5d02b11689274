/**
 * Every error Inlet throws is an {@link InletError} with a stable `code` from this list.
 * Match on `code`, not on the class or the message: codes are part of the public API.
 */
export const InletErrorCode = {
  invalidOption: 'INLET_INVALID_OPTION',
  closed: 'INLET_CLOSED',
  aborted: 'INLET_ABORTED',
} as const;

export type InletErrorCode = (typeof InletErrorCode)[keyof typeof InletErrorCode];

const inletErrorBrand = Symbol.for('inlet.error');

export interface InletErrorOptions {
  readonly cause?: unknown;
  /** True when trying the same operation again may succeed. */
  readonly retryable?: boolean;
}

/** The base of every Inlet error: a stable `code`, a `retryable` flag and the original `cause`. */
export class InletError extends Error {
  override readonly name: string = 'InletError';
  readonly code: InletErrorCode;
  readonly retryable: boolean;

  constructor(code: InletErrorCode, message: string, options: InletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    Object.defineProperty(this, inletErrorBrand, { value: true });
  }

  /** Works across duplicate installs of the package, where `instanceof` does not. */
  static is(value: unknown): value is InletError {
    return typeof value === 'object' && value !== null && inletErrorBrand in value;
  }
}
