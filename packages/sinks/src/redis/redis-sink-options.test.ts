import { defineTopic, InletError } from '@inlet/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ContractItem } from '../sink-contract';
import { createRedisSink } from './redis-sink';
import { redisSinkSettings } from './redis-sink-options';

const items = defineTopic({ name: 'items', events: [ContractItem] });
// Never connects: option checks happen before any command.
const redis = new Redis({ lazyConnect: true });
afterAll(() => redis.disconnect());

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(InletError.hasCode(error, 'INLET_INVALID_OPTION')).toBe(true);
    const { issues } = error as unknown as { issues: { path: string; message: string }[] };
    return issues.map(({ path, message }) => `${path}: ${message}`).join('; ');
  }
  throw new Error('the options were accepted');
}

describe('Redis sink options', () => {
  it('applies the defaults: JSON, deletes removed, their versions kept a week, the topic as prefix', () => {
    const settings = redisSinkSettings({ redis, topics: [items] });
    expect(settings).toMatchObject({
      format: 'json',
      deletes: 'remove',
      deletedTtlSeconds: 604_800,
      ttlSeconds: undefined,
      value: undefined,
    });
    expect(typeof settings.keyPrefix === 'function' && settings.keyPrefix('items')).toBe('items:');
    expect(redisSinkSettings({ redis, topics: [items], keyPrefix: 'c:' }).keyPrefix).toBe('c:');
  });

  it('refuses a missing client, wrong types and unknown keys, naming each option', () => {
    const message = refusal(() =>
      createRedisSink({
        topics: [items],
        format: 'xml',
        ttlSeconds: 0,
        deletes: 'drop',
        deletedTtlSeconds: 1.5,
        keyPrefx: 'a:',
      } as never),
    );
    for (const name of ['redis', 'format', 'ttlSeconds', 'deletes', 'deletedTtlSeconds', 'keyPrefx'])
      expect(message).toContain(name);
    expect(message).toContain('did you mean keyPrefix');
  });

  it('refuses a client without pipelines and scripts, and no topics', () => {
    expect(refusal(() => createRedisSink({ redis: {} as never, topics: [items] }))).toContain('pipeline()');
    expect(refusal(() => createRedisSink({ redis, topics: [] }))).toContain('topics');
    expect(refusal(() => createRedisSink({ redis, topics: [items], value: 'data' as never }))).toContain(
      'value',
    );
  });

  it('fails writes after close, as closed', async () => {
    const sink = createRedisSink({ redis, topics: [items] });
    await sink.close();
    await sink.close();
    const write = sink.write(
      { groupId: 'g', topic: 'items', partition: 0, changes: [], nextOffset: '0' },
      { signal: new AbortController().signal },
    );
    await expect(write).rejects.toMatchObject({ code: 'INLET_CLOSED' });
  });
});
