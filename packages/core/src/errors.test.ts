import { describe, expect, it } from 'vitest';
import { InletError, InletErrorCode } from './errors';

describe('InletError', () => {
  it('keeps code, retryable flag and cause', () => {
    const cause = new Error('socket hang up');
    const error = new InletError(InletErrorCode.closed, 'producer is closed', { cause, retryable: true });
    expect(error.code).toBe('INLET_CLOSED');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it('is recognised by brand even when the class identity differs', () => {
    const error = new InletError(InletErrorCode.aborted, 'aborted');
    const lookalike = Object.assign(new Error('x'), { code: 'INLET_ABORTED' });
    expect(InletError.is(error)).toBe(true);
    expect(InletError.is(lookalike)).toBe(false);
    expect(InletError.is(undefined)).toBe(false);
  });

  it('defaults to not retryable', () => {
    expect(new InletError(InletErrorCode.invalidOption, 'bad').retryable).toBe(false);
  });

  it('matches codes of any package, which each owns as a list of its own', () => {
    // As a package outside core defines its codes: a closed list of strings, core untouched.
    const SinkErrorCode = { sinkRejected: 'INLET_SINK_REJECTED' } as const;
    const error = new InletError(SinkErrorCode.sinkRejected, 'the sink refused the batch');
    expect(InletError.hasCode(error, SinkErrorCode.sinkRejected)).toBe(true);
    expect(InletError.hasCode(error, InletErrorCode.closed, SinkErrorCode.sinkRejected)).toBe(true);
    expect(InletError.hasCode(error, InletErrorCode.closed)).toBe(false);
  });
});
