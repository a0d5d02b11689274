import { InletError, InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { duckDbTableSink } from './duckdb-table-sink';
import { memorySide } from './memory-side.test-support';
import { postgresTableSink, postgresTableSource } from './postgres-table';
import { redisSink } from './redis-sink';
import { scheduleReconcile } from './schedule-reconcile';
import { topicSource } from './topic-source';

function refusal(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    expect(InletError.hasCode(error, InletErrorCode.invalidOption)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('the options were accepted');
}

const queryable = { query: async () => ({ rows: [] }) };

describe('options of the sides', () => {
  it('PostgreSQL: one of client and pool, a table name, a key for a source', () => {
    expect(refusal(() => postgresTableSource({ pool: queryable, table: 'orders' } as never))).toMatch(
      /key: is required/,
    );
    expect(refusal(() => postgresTableSink({ pool: queryable, client: queryable, table: 'orders' }))).toMatch(
      /client: give either client or pool/,
    );
    expect(refusal(() => postgresTableSink({ pool: queryable, table: 'x; drop table y' }))).toMatch(
      /table: must be a table name/,
    );
    expect(refusal(() => postgresTableSink({ pool: queryable, table: 't', colums: ['a'] } as never))).toMatch(
      /colums: is not an option \(did you mean columns\?\)/,
    );
    expect(() =>
      postgresTableSink({ pool: queryable, table: 'public.t', deletedColumn: false }),
    ).not.toThrow();
  });

  it('Redis: a client and a key prefix', () => {
    expect(refusal(() => redisSink({ redis: {} as never, keyPrefix: 'o:' }))).toMatch(
      /redis: must be an ioredis client/,
    );
    expect(
      refusal(() => redisSink({ redis: { scan: () => 0, pipeline: () => 0 } as never, keyPrefix: '' })),
    ).toMatch(/keyPrefix: must be a non-empty string/);
    expect(
      refusal(() =>
        redisSink({
          redis: { scan: () => 0, pipeline: () => 0 } as never,
          keyPrefix: 'o:',
          format: 'xml' as never,
        }),
      ),
    ).toMatch(/format: must be one of "json", "hash"/);
  });

  it('DuckDB: a connection and a table', () => {
    expect(refusal(() => duckDbTableSink({ table: 'orders' } as never))).toMatch(/connection: is required/);
  });

  it('topic: a transport and a topic definition', () => {
    expect(refusal(() => topicSource({ transport: {} as never, topic: {} as never }))).toMatch(
      /transport: must be a Kafka transport.*topic: must be a topic definition/s,
    );
  });

  it('schedule: everyMs, and onDrift or onReport', () => {
    const sides = { source: memorySide('s', {}), sink: memorySide('t', {}) };
    expect(refusal(() => scheduleReconcile({ ...sides, everyMs: 0, onDrift: () => undefined }))).toMatch(
      /everyMs: must be an integer of at least 1/,
    );
    expect(refusal(() => scheduleReconcile({ ...sides, everyMs: 10 }))).toMatch(
      /onDrift: is required unless onReport is given/,
    );
  });
});
