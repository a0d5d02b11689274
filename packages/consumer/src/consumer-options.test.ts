import { createInMemoryBackbone } from '@inlet/backbone';
import { InletErrorCode, InletValidationError } from '@inlet/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer } from './consumer';
import { ordersTopic } from './fixtures/orders.fixture';
import { createMemoryDedupStore, createMemoryVersionStore } from './stores/memory-stores';

const transport = createInMemoryBackbone();
afterAll(() => transport.close());
const orders = ordersTopic('options');
const valid = { transport, groupId: 'g', topics: [orders], handle: async () => undefined };

/** The issues an INLET_INVALID_OPTION error lists, from createConsumer itself (not from start()). */
function refused(options: unknown): { path: string; message: string }[] {
  try {
    createConsumer(options as never);
  } catch (error) {
    expect(error).toBeInstanceOf(InletValidationError);
    expect((error as InletValidationError).code).toBe(InletErrorCode.invalidOption);
    expect((error as Error).message).toMatch(/^invalid consumer options: /);
    return [...(error as InletValidationError).issues];
  }
  throw new Error('createConsumer accepted the options');
}

function pathsOf(options: unknown): string[] {
  return refused(options).map((issue) => issue.path);
}

describe('consumer options are checked when the consumer is created', () => {
  it('refuses options that are not an object', () => {
    expect(pathsOf(null)).toEqual(['']);
    expect(pathsOf(undefined)).toEqual(['']);
  });

  it('refuses a dedup store without the store methods, naming what it lacks', () => {
    expect(refused({ ...valid, dedup: { store: {} } })).toEqual([
      expect.objectContaining({
        path: 'dedup.store',
        message: expect.stringMatching(/seen\(\), mark\(\), close\(\)/),
      }),
    ]);
    // An ioredis client passed directly has none of them: the message says how to wrap it.
    const redisLike = { get() {}, set() {}, mget() {}, quit() {} };
    expect(refused({ ...valid, dedup: { store: redisLike } })[0]?.message).toMatch(/createRedisDedupStore/);
  });

  it('accepts a dead-letter topic given as a name, and refuses one of another type', () => {
    expect(() => createConsumer({ ...valid, deadLetter: { topic: 'x.dlq' } })).not.toThrow();
    expect(() =>
      createConsumer({ ...valid, deadLetter: { topic: (topic: string) => `${topic}.x` } }),
    ).not.toThrow();
    expect(pathsOf({ ...valid, deadLetter: { topic: 42 } })).toEqual(['deadLetter.topic']);
    expect(pathsOf({ ...valid, deadLetter: 'x.dlq' })).toEqual(['deadLetter']);
  });

  it('refuses a handler that is not a function', () => {
    expect(pathsOf({ ...valid, handle: 'fn' })).toEqual(['handle']);
    expect(pathsOf({ ...valid, handle: undefined, handleBatch: {} })).toEqual(['handleBatch']);
  });

  it('refuses a version gate without a store instead of turning the gate off', () => {
    expect(refused({ ...valid, versionGate: {} })).toEqual([
      { path: 'versionGate.store', message: expect.stringMatching(/^is required/) },
    ]);
    expect(pathsOf({ ...valid, versionGate: { store: createMemoryDedupStore() } })).toEqual([
      'versionGate.store',
    ]);
    expect(() =>
      createConsumer({ ...valid, versionGate: { store: createMemoryVersionStore() } }),
    ).not.toThrow();
  });

  it('refuses unknown keys, suggesting the option meant', () => {
    expect(refused({ ...valid, lingerMs: 5, maxConcurency: 3, groupID: 'g' })).toEqual([
      { path: 'lingerMs', message: 'is not an option' },
      { path: 'maxConcurency', message: 'is not an option (did you mean maxConcurrency?)' },
      { path: 'groupID', message: 'is not an option (did you mean groupId?)' },
    ]);
    expect(refused({ ...valid, retry: { retires: 3 } })).toEqual([
      { path: 'retry.retires', message: 'is not an option (did you mean retry.retries?)' },
    ]);
  });

  it('says a group id of the wrong type is of the wrong type', () => {
    expect(refused({ ...valid, groupId: 42 })).toEqual([
      { path: 'groupId', message: 'must be a non-empty string, got 42' },
    ]);
  });

  it('checks the session timeout against the heartbeat interval at creation', () => {
    expect(refused({ ...valid, sessionTimeoutMs: 1_000, heartbeatIntervalMs: 3_000 })).toEqual([
      { path: 'heartbeatIntervalMs', message: 'must be less than sessionTimeoutMs (1000), got 3000' },
    ]);
    // Given alone, a short session timeout gets a heartbeat that fits it.
    expect(() => createConsumer({ ...valid, sessionTimeoutMs: 1_000 })).not.toThrow();
  });

  it('checks the connection options and the transport', () => {
    expect(pathsOf({ ...valid, transport: {} })).toEqual(['transport']);
    expect(pathsOf({ ...valid, transport: undefined, brokers: 'localhost:9092' })).toEqual(['brokers']);
    expect(pathsOf({ ...valid, transport: undefined })).toEqual(['transport']);
  });

  it('refuses wrong types and ranges throughout', () => {
    expect(
      pathsOf({
        ...valid,
        maxConcurrency: 0,
        retry: { retries: -1, isRetryable: true },
        dedup: { windowMs: '1h', key: 'id' },
        commitIntervalMs: 1.5,
        autoOffsetReset: 'beginning',
        logger: { info() {} },
        topics: [orders, {}],
      }).sort(),
    ).toEqual(
      [
        'topics[1]',
        'maxConcurrency',
        'retry.retries',
        'retry.isRetryable',
        'dedup.windowMs',
        'dedup.key',
        'commitIntervalMs',
        'autoOffsetReset',
        'logger',
      ].sort(),
    );
  });
});
