import { InletError, InletErrorCode } from '@inlet/core';
import { describe, expect, it } from 'vitest';
import { postgresTableName } from './postgres-table-name';

function rejection(table: unknown, schema: unknown): unknown {
  try {
    postgresTableName(table, schema, 'inlet_dedup');
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('postgresTableName', () => {
  it('quotes the default, a given table and a given schema', () => {
    expect(postgresTableName(undefined, undefined, 'inlet_dedup')).toBe('"inlet_dedup"');
    expect(postgresTableName('user', undefined, 'inlet_dedup')).toBe('"user"');
    expect(postgresTableName('marks_2', 'inlet', 'inlet_dedup')).toBe('"inlet"."marks_2"');
    expect(postgresTableName('_x', '_y', 'inlet_dedup')).toBe('"_y"."_x"');
    expect(postgresTableName('a'.repeat(63), undefined, 'inlet_dedup')).toBe(`"${'a'.repeat(63)}"`);
  });

  it.each([
    ['an empty name', ''],
    ['upper case', 'Marks'],
    ['a leading digit', '1marks'],
    ['a dash', 'inlet-dedup'],
    ['a dot', 'inlet.dedup'],
    ['a quote', 'x"; drop table users; --'],
    ['a space', 'inlet dedup'],
    ['a dollar sign', 'marks$'],
    ['non-ASCII letters', 'märks'],
    ['64 characters', 'a'.repeat(64)],
    ['a number', 42],
  ])('rejects a table name with %s', (_, table) => {
    const error = rejection(table, undefined);
    expect(InletError.hasCode(error, InletErrorCode.invalidOption)).toBe(true);
    expect((error as Error).message).toMatch(/^table must be a plain lower-case identifier/);
  });

  it('rejects a schema name that is not a plain identifier, naming the option', () => {
    const error = rejection('marks', 'public"."x');
    expect(InletError.hasCode(error, InletErrorCode.invalidOption)).toBe(true);
    expect((error as Error).message).toMatch(/^schema must be/);
  });
});
