import { hostname } from 'node:os';
import { createInMemoryBackbone } from '@inlet/backbone';
import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { createProducer } from './producer';
import { resolveProducerOptions } from './producer-options';

const transport = createInMemoryBackbone();

/** The INLET_INVALID_OPTION error creating a producer with these options throws. */
function refusal(options: unknown): InletError & { issues?: readonly { path: string; message: string }[] } {
  try {
    createProducer(options as never);
  } catch (error) {
    if (!InletError.is(error)) throw new Error(`not an InletError: ${String(error)}`, { cause: error });
    return error;
  }
  throw new Error('the options were accepted');
}

describe('producer options', () => {
  it('refuses options that are not an object with INLET_INVALID_OPTION, not a TypeError', () => {
    for (const options of [null, undefined, 'brokers', 42, []]) {
      expect(refusal(options)).toMatchObject({ code: 'INLET_INVALID_OPTION' });
    }
  });

  it('refuses unknown keys, naming the path and the option probably meant', () => {
    const typo = refusal({ transport, lingerMs: 5 });
    expect(typo).toMatchObject({ code: 'INLET_INVALID_OPTION' });
    expect(typo.message).toMatch(/lingerMs: is not an option \(did you mean linger\.ms\?\)/);
    expect(refusal({ transport, retry: { deliveryTimeout: 5 } }).message).toMatch(
      /retry\.deliveryTimeout: is not an option \(did you mean retry\.deliveryTimeoutMs\?\)/,
    );
    expect(refusal({ transport, buffer: { whenfull: 'fail' } }).message).toMatch(/buffer\.whenFull/);
  });

  it('refuses wrong types and ranges throughout, naming each path, secrets unprinted', () => {
    const error = refusal({
      transport,
      linger: { ms: '5' },
      retry: { deliveryTimeoutMs: 0, retries: -1 },
      source: 'urn:secret-token-1234',
      registry: {},
      logger: { info: () => undefined },
      recordTimestamp: 'now',
      transactionalId: '',
    });
    const paths = (error.issues ?? []).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'linger.ms',
        'retry.deliveryTimeoutMs',
        'retry.retries',
        'registry',
        'logger',
        'recordTimestamp',
        'transactionalId',
      ]),
    );
    expect(error.message).not.toContain('secret-token');
    expect(refusal({ transport, source: 42 }).message).toMatch(/source/);
    expect(refusal({ transport: {} }).message).toMatch(/transport/);
    expect(refusal({ brokers: 'localhost:9092' }).message).toMatch(/brokers/);
    expect(refusal({ transport, connection: { clientId: 'x' } }).message).toMatch(/connection/);
  });

  it('keeps the checks that span options', () => {
    expect(refusal({}).message).toMatch(/transport/);
    expect(refusal({ transport, brokers: ['127.0.0.1:9092'] }).message).toMatch(/brokers/);
    expect(refusal({ transport, buffer: { maxRecords: 10 } }).message).toMatch(/buffer.maxRecords/);
    expect(refusal({ transport, maxRecordBytes: 64 * 1024 * 1024 }).message).toMatch(/maxRecordBytes/);
    expect(refusal({ transport, retry: { minDelayMs: 500, maxDelayMs: 100 } }).message).toMatch(
      /retry.maxDelayMs/,
    );
  });
});

describe('the default CloudEvents source', () => {
  it('names the host and nothing that changes when the process restarts', () => {
    const { source } = resolveProducerOptions({ transport });
    expect(source).toBe(`urn:inlet:${hostname()}`);
    expect(source).not.toContain(String(process.pid));
    expect(resolveProducerOptions({ transport, source: 'urn:svc:checkout' }).source).toBe('urn:svc:checkout');
  });
});
