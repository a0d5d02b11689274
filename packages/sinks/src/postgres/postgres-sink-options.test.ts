import { InletError } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { contractTopic } from '../sink-contract';
import { createPostgresSink } from './postgres-sink';

const pool = {
  query: async () => ({ rows: [], command: 'SELECT' }),
  connect: async () => {
    throw new Error('not used');
  },
};

function refusal(options: unknown): string {
  try {
    createPostgresSink(options as Parameters<typeof createPostgresSink>[0]);
  } catch (error) {
    return InletError.is(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return 'accepted';
}

describe('the PostgreSQL sink options', () => {
  it('accepts the documented options', () => {
    expect(
      refusal({
        pool,
        table: 'orders',
        schema: 'public',
        topics: [contractTopic],
        mode: 'upsert',
        write: 'copy',
        keyColumn: 'key',
        versionColumn: 'entity_version',
        deletes: 'remove',
        exactlyOnce: { offsetsTable: 'offsets' },
        ensureTable: true,
        columns: () => ({}),
      }),
    ).toBe('accepted');
  });

  it('refuses wrong types and unknown keys at creation, naming the option', () => {
    expect(refusal({ pool, table: 'orders', topics: [contractTopic], mode: 'merge' })).toMatch(
      /INLET_INVALID_OPTION: .*mode: must be one of "upsert", "append"/,
    );
    expect(refusal({ pool, table: 'Orders', topics: [contractTopic] })).toMatch(/table: must be a plain/);
    expect(refusal({ pool, table: 'orders', topics: [] })).toMatch(/topics: must have at least 1/);
    expect(refusal({ table: 'orders', topics: [contractTopic] })).toMatch(/pool: is required/);
    expect(refusal({ pool, table: 'orders', topics: [contractTopic], ensureTables: true })).toMatch(
      /ensureTables: is not an option \(did you mean ensureTable\?\)/,
    );
    expect(refusal({ pool, table: 'orders', topics: [contractTopic], exactlyOnce: { table: 'x' } })).toMatch(
      /exactlyOnce.table: is not an option/,
    );
    expect(
      refusal({ pool, table: 'orders', topics: [contractTopic], mode: 'append', deletes: 'remove' }),
    ).toMatch(/deletes: must be 'mark' in append mode/);
  });

  it('names the sink after its table, and offers stored offsets only when exactly once', () => {
    const plain = createPostgresSink({ pool, table: 'orders', topics: [contractTopic] });
    expect(plain.name).toBe('postgres:orders');
    expect(plain.storedOffsets).toBeUndefined();
    const once = createPostgresSink({
      pool,
      table: 'orders',
      schema: 's',
      topics: [contractTopic],
      exactlyOnce: true,
    });
    expect(once.name).toBe('postgres:s.orders');
    expect(typeof once.storedOffsets).toBe('function');
  });

  it('fails its writes once closed (also by await using), and closes twice without harm', async () => {
    const sink = createPostgresSink({ pool, table: 'orders', topics: [contractTopic] });
    {
      await using _disposed = sink;
    }
    await expect(
      sink.write(
        { groupId: 'g', topic: 't', partition: 0, changes: [], nextOffset: '0' },
        { signal: new AbortController().signal },
      ),
    ).rejects.toMatchObject({ code: 'INLET_CLOSED' });
    await sink.close();
    await expect(sink.init()).rejects.toMatchObject({ code: 'INLET_CLOSED' });
  });
});
