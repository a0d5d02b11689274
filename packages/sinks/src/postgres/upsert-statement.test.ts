import { describe, expect, it } from 'vitest';
import {
  castTypeOf,
  copyStatement,
  countedMergeStatement,
  createTableStatement,
  createTombstonesStatement,
  mergeStatement,
  quoted,
  removeStatements,
  type TableLayout,
  writeStatement,
} from './upsert-statement';

const layout: TableLayout = {
  table: '"orders"',
  mode: 'upsert',
  deletes: 'mark',
  tombstones: undefined,
  keyColumn: 'key',
  versionColumn: 'entity_version',
  columns: [
    { name: 'key', type: 'text' },
    { name: 'entity_version', type: 'bigint' },
    { name: 'event_id', type: 'text' },
    { name: 'event_time', type: 'timestamp with time zone' },
    { name: 'deleted', type: 'boolean' },
    { name: 'status', type: 'text' },
  ],
};
const guard =
  't."entity_version" is null or excluded."entity_version" is null or t."entity_version" < excluded."entity_version"';

describe('the write statements', () => {
  it('upserts a batch as one insert from unnested arrays, newer versions only', () => {
    expect(writeStatement(layout)).toBe(
      'insert into "orders" as t ("key", "entity_version", "event_id", "event_time", "deleted", "status") ' +
        'select u."key", u."entity_version", u."event_id", u."event_time", u."deleted", u."status" ' +
        'from unnest($1::text[], $2::bigint[], $3::text[], $4::timestamp with time zone[], $5::boolean[], $6::text[]) ' +
        'as u("key", "entity_version", "event_id", "event_time", "deleted", "status") ' +
        'on conflict ("key") do update set "entity_version" = coalesce(excluded."entity_version", t."entity_version"), ' +
        '"event_id" = excluded."event_id", "event_time" = excluded."event_time", "deleted" = excluded."deleted", ' +
        `"status" = excluded."status" where ${guard}`,
    );
  });

  it('appends, skipping a replayed event by its id', () => {
    const statement = writeStatement({ ...layout, mode: 'append' });
    expect(statement).toMatch(/on conflict \("event_id"\) do nothing$/);
    expect(statement).not.toContain('do update');
  });

  it('keeps rows of keys removed at a newer version out, with deletes removed', () => {
    const removing = { ...layout, deletes: 'remove' as const, tombstones: '"orders_deleted"' };
    expect(writeStatement(removing)).toContain(
      'where not exists (select 1 from "orders_deleted" d where d."key" = u."key" and d."entity_version" >= u."entity_version")',
    );
    const [keep, remove] = removeStatements(removing);
    expect(keep).toBe(
      'insert into "orders_deleted" as t ("key", "entity_version") select u."key", u."entity_version" ' +
        'from unnest($1::text[], $2::bigint[]) as u("key", "entity_version") on conflict ("key") do update set ' +
        `"entity_version" = coalesce(excluded."entity_version", t."entity_version") where ${guard}`,
    );
    expect(remove).toBe(
      'delete from "orders" as t using unnest($1::text[], $2::bigint[]) as u("key", "entity_version") ' +
        'where t."key" = u."key" and (t."entity_version" is null or u."entity_version" is null or t."entity_version" < u."entity_version")',
    );
  });

  it('merges a staging table with the same guard', () => {
    expect(mergeStatement(layout, 'inlet_stage_x')).toBe(
      writeStatement(layout).replace(
        /from unnest\(.*\) as u\(.*?\) on conflict/,
        'from inlet_stage_x as u on conflict',
      ),
    );
  });

  it('counts what a merge inserted (not updated), for the adaptive COPY', () => {
    expect(countedMergeStatement(layout, 'inlet_stage_x')).toBe(
      `with merged as (${mergeStatement(layout, 'inlet_stage_x')} returning (t.xmax = 0) as inserted) select count(*) filter (where inserted)::int as inserted from merged`,
    );
  });

  it('COPYs the written columns, into the staging table or straight into the target', () => {
    const columns = '"key", "entity_version", "event_id", "event_time", "deleted", "status"';
    expect(copyStatement(layout, 'inlet_stage_x')).toBe(`copy inlet_stage_x (${columns}) from stdin`);
    expect(copyStatement(layout, layout.table)).toBe(`copy "orders" (${columns}) from stdin`);
  });

  it('casts to unbounded character and bit types, so that the column refuses values too long', () => {
    expect(castTypeOf('character')).toBe('bpchar');
    expect(castTypeOf('bit')).toBe('varbit');
    expect(castTypeOf('character varying')).toBe('character varying');
    expect(castTypeOf('timestamp with time zone')).toBe('timestamp with time zone');
  });

  it('quotes any identifier', () => {
    expect(quoted('order')).toBe('"order"');
    expect(quoted('a"b')).toBe('"a""b"');
  });
});

describe('the tables ensureTable creates', () => {
  const data = [
    { name: 'order_id', type: 'text' },
    { name: 'revision', type: 'bigint' },
  ];
  it('upsert: the key as primary key, the deleted mark, then the data columns', () => {
    expect(createTableStatement(layout, data)).toBe(
      'create table if not exists "orders" ("key" text primary key, "entity_version" bigint, "event_id" text, ' +
        '"event_time" timestamptz, "deleted" boolean not null default false, "order_id" text, "revision" bigint)',
    );
    expect(createTableStatement({ ...layout, deletes: 'remove' }, [])).not.toContain('deleted');
  });

  it('append: no key constraint, event_id unique', () => {
    expect(createTableStatement({ ...layout, mode: 'append' }, data)).toBe(
      'create table if not exists "orders" ("key" text not null, "entity_version" bigint, "event_id" text not null unique, ' +
        '"event_time" timestamptz, "deleted" boolean not null default false, "order_id" text, "revision" bigint)',
    );
  });

  it('remove: a table of removed keys and their versions', () => {
    expect(createTombstonesStatement('"orders_deleted"', 'key', 'entity_version')).toBe(
      'create table if not exists "orders_deleted" ("key" text primary key, "entity_version" bigint)',
    );
  });
});
