import { InletErrorCode } from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { describe, expect, it } from 'vitest';
import { ConsumerErrorCode } from './consumer-error-code';

describe('ConsumerErrorCode', () => {
  it('keeps its public value', () => {
    expect(ConsumerErrorCode).toEqual({ deadLetterFailed: 'INLET_DEAD_LETTER_FAILED' });
  });

  it('shares no code with core or the stores', () => {
    const others = new Set<string>([...Object.values(InletErrorCode), ...Object.values(StoreErrorCode)]);
    expect(Object.values(ConsumerErrorCode).filter((code) => others.has(code))).toEqual([]);
  });
});
