import { InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { ProducerErrorCode } from './producer-error-code';

describe('ProducerErrorCode', () => {
  it('keeps its public values', () => {
    expect(ProducerErrorCode).toEqual({ sendFailed: 'INLET_SEND_FAILED', bufferFull: 'INLET_BUFFER_FULL' });
  });

  it('shares no code with core', () => {
    const core = new Set<string>(Object.values(InletErrorCode));
    expect(Object.values(ProducerErrorCode).filter((code) => core.has(code))).toEqual([]);
  });
});
