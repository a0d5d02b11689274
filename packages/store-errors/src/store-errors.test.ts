import { InletError, InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { InletStoreError } from './inlet-store-error';
import { socketErrorCode } from './socket-error-code';
import { storeErrorClasses } from './store-error-class';
import { StoreErrorCode } from './store-error-code';

describe('InletStoreError', () => {
  it('is an Inlet error with its code, backend, driver code, retryable flag and cause', () => {
    const cause = new Error('deadlock detected');
    const error = new InletStoreError(StoreErrorCode.storeConflict, 'lost a race', 'postgres', '40P01', {
      cause,
      retryable: true,
    });
    expect(InletError.hasCode(error, 'INLET_STORE_CONFLICT')).toBe(true);
    expect(error).toMatchObject({ name: 'InletStoreError', backend: 'postgres', driverCode: '40P01' });
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
  });
});

describe('StoreErrorCode', () => {
  it("keeps its public values, none of them core's", () => {
    expect(StoreErrorCode).toEqual({
      storeUnavailable: 'INLET_STORE_UNAVAILABLE',
      storeConflict: 'INLET_STORE_CONFLICT',
      storeFailed: 'INLET_STORE_FAILED',
    });
    const core = new Set<string>(Object.values(InletErrorCode));
    expect(Object.values(StoreErrorCode).filter((code) => core.has(code))).toEqual([]);
  });
});

describe('storeErrorClasses', () => {
  it('retries what may succeed later and nothing else', () => {
    expect(storeErrorClasses).toEqual({
      unavailable: { code: 'INLET_STORE_UNAVAILABLE', retryable: true },
      conflict: { code: 'INLET_STORE_CONFLICT', retryable: true },
      failed: { code: 'INLET_STORE_FAILED', retryable: false },
    });
  });
});

describe('socketErrorCode', () => {
  it('finds a retryable socket code, also inside an AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(socketErrorCode(refused)).toBe('ECONNREFUSED');
    const unreachable = Object.assign(new Error('unreachable'), { code: 'ENETUNREACH' });
    expect(socketErrorCode(new AggregateError([new Error('first'), unreachable]))).toBe('ENETUNREACH');
  });

  it('says nothing of other codes and of what is not an error', () => {
    expect(socketErrorCode(Object.assign(new Error('no access'), { code: 'EACCES' }))).toBeUndefined();
    expect(socketErrorCode('ECONNREFUSED')).toBeUndefined();
    expect(socketErrorCode(null)).toBeUndefined();
  });
});
