import type { Tombstone } from '@inlet/consumer';
import { createEvent, defineEvent, defineTopic, jsonSchema, type TopicEvent } from '@inlet/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sink, SinkBatch, SinkChange } from './sink';

/** The event the contract writes: an item with a revision (its entity version) and a value. */
export const ContractItem = defineEvent({
  type: 'contract.item',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1 },
      revision: { type: 'integer', minimum: 0 },
      value: { type: 'string' },
    },
    required: ['id', 'revision', 'value'],
    additionalProperties: false,
  }),
  key: (item) => item.id,
  eventTime: () => new Date(),
  entityVersion: (item) => item.revision,
});

/** The topic the contract's events come from; a sink under test is made for it. */
export const contractTopic = defineTopic({ name: 'inlet-sink-contract', events: [ContractItem] });
export type ContractEvent = TopicEvent<typeof contractTopic>;

/** An entity as the target holds it, read back by the test: its value and revision, or deleted. */
export interface TargetEntity {
  readonly revision: number | undefined;
  /** The item's value, or undefined when deleted. */
  readonly value: string | undefined;
  readonly deleted: boolean;
}

export interface SinkUnderTest {
  readonly sink: Sink<ContractEvent>;
  /** Everything the target holds now, by item id. Deleted entities may be absent or `deleted`. */
  read(): Promise<ReadonlyMap<string, TargetEntity>>;
  /** Undoes what `create` made (tables, keys, files). */
  cleanup(): Promise<void>;
}

export interface SinkContractOptions {
  /** A sink (for `contractTopic`) over an empty target of its own. */
  create(): Promise<SinkUnderTest>;
  /** Keyed by entity, the newest version winning (an upserting sink). Default true. */
  readonly versioned?: boolean;
  /** Deletes remove the entity, keeping its version. Default true. */
  readonly deletes?: boolean;
  /**
   * The data of an item the target refuses for good (a value breaking a constraint the sink's
   * target has), to check that it alone is rejected; leave out when the target refuses nothing.
   */
  readonly refusedItem?: (id: string) => {
    readonly id: string;
    readonly revision: number;
    readonly value: string;
  };
  /** Property runs. Default 15. */
  readonly runs?: number;
}

let offsetCounter = 0;

function upsert(id: string, revision: number, value = `${id}@${revision}`): SinkChange<ContractEvent> {
  const event = createEvent(
    ContractItem,
    { id, revision, value },
    { source: 'urn:inlet:sink-contract' },
  ) as ContractEvent;
  return { kind: 'upsert', event, key: id, entityVersion: revision, offset: String(offsetCounter++) };
}

function remove(id: string, revision: number): SinkChange<ContractEvent> {
  const tombstone: Tombstone = {
    tombstone: true,
    id: `delete-${id}-${revision}`,
    key: id,
    entityVersion: revision,
    eventTime: new Date(),
    type: 'contract.item',
    headers: {},
  };
  return { kind: 'delete', tombstone, key: id, entityVersion: revision, offset: String(offsetCounter++) };
}

function batchOf(changes: readonly SinkChange<ContractEvent>[], partition = 0): SinkBatch<ContractEvent> {
  const last = changes[changes.length - 1];
  return {
    groupId: 'inlet-sink-contract',
    topic: contractTopic.name,
    partition,
    changes,
    nextOffset: String(Number(last?.offset ?? '0') + 1),
  };
}

const signal = new AbortController().signal;

function alive(entities: ReadonlyMap<string, TargetEntity>): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const [id, entity] of entities) if (!entity.deleted) values.set(id, entity.value);
  return values;
}

/**
 * The rules every sink keeps, as a vitest suite: run it from a test file of your own sink with a
 * `create` that makes the sink over a fresh target. Checked: a write is visible once it resolved;
 * writing the same batch again changes nothing; the newest version of a key wins within a batch
 * and across batches written in any order (a fast-check property); deletes keep their version so
 * that an older update cannot bring the entity back; a change the target refuses is returned as
 * rejected, with its reason, while the rest lands.
 */
export function describeSinkContract(name: string, options: SinkContractOptions): void {
  const versioned = options.versioned ?? true;
  const deletes = options.deletes ?? true;
  describe(`sink contract: ${name}`, () => {
    const made: SinkUnderTest[] = [];
    const create = async () => {
      const underTest = await options.create();
      made.push(underTest);
      return underTest;
    };
    afterEach(async () => {
      for (const underTest of made.splice(0)) {
        await underTest.sink.close();
        await underTest.cleanup();
      }
    });

    it('makes a batch visible by the time its write resolves', async () => {
      const { sink, read } = await create();
      await sink.write(batchOf([upsert('a', 1), upsert('b', 1), upsert('c', 2)]), { signal });
      expect(alive(await read())).toEqual(
        new Map([
          ['a', 'a@1'],
          ['b', 'b@1'],
          ['c', 'c@2'],
        ]),
      );
    });

    it('changes nothing when the same batch is written again', async () => {
      const { sink, read } = await create();
      const batch = batchOf([upsert('a', 1), upsert('b', 3), upsert('a', 2)]);
      await sink.write(batch, { signal });
      const once = await read();
      await sink.write(batch, { signal });
      expect(await read()).toEqual(once);
    });

    if (versioned) {
      it('keeps the newest version of a key within one batch', async () => {
        const { sink, read } = await create();
        await sink.write(batchOf([upsert('a', 1), upsert('a', 3), upsert('a', 2)]), { signal });
        const entity = (await read()).get('a');
        expect(entity).toMatchObject({ revision: 3, value: 'a@3', deleted: false });
      });

      it('never lets an older version overwrite a newer one across batches', async () => {
        const { sink, read } = await create();
        await sink.write(batchOf([upsert('a', 5)]), { signal });
        await sink.write(batchOf([upsert('a', 4), upsert('b', 1)]), { signal });
        expect(alive(await read())).toEqual(
          new Map([
            ['a', 'a@5'],
            ['b', 'b@1'],
          ]),
        );
      });

      it('ends at the newest state per key, however batches are repeated and reordered', async () => {
        const change = fc.record({
          id: fc.constantFrom('a', 'b', 'c', 'd'),
          revision: fc.integer({ min: 0, max: 20 }),
          delete: fc.boolean().map((value) => deletes && value),
        });
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(change, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }),
            async (batches) => {
              const underTest = await options.create();
              try {
                // Versions are unique per key in the model, as an entity's versions are.
                const seen = new Set<string>();
                const unique = batches.map((changes) =>
                  changes.filter(({ id, revision }) => {
                    const key = `${id}@${revision}`;
                    if (seen.has(key)) return false;
                    seen.add(key);
                    return true;
                  }),
                );
                const newest = new Map<string, { revision: number; delete: boolean }>();
                for (const { id, revision, delete: deleted } of unique.flat()) {
                  const current = newest.get(id);
                  if (current === undefined || revision > current.revision)
                    newest.set(id, { revision, delete: deleted });
                }
                // In reverse, then each again: order and repeats must not matter.
                for (const changes of [...unique].reverse().concat(unique)) {
                  if (changes.length === 0) continue;
                  await underTest.sink.write(
                    batchOf(
                      changes.map(({ id, revision, delete: deleted }) =>
                        deleted ? remove(id, revision) : upsert(id, revision),
                      ),
                    ),
                    { signal },
                  );
                }
                const expected = new Map<string, string | undefined>();
                for (const [id, { revision, delete: deleted }] of newest)
                  if (!deleted) expected.set(id, `${id}@${revision}`);
                expect(alive(await underTest.read())).toEqual(expected);
              } finally {
                await underTest.sink.close();
                await underTest.cleanup();
              }
            },
          ),
          { numRuns: options.runs ?? 15 },
        );
      }, 120_000);
    }

    if (deletes) {
      it('deletes an entity, and keeps it deleted against older updates', async () => {
        const { sink, read } = await create();
        await sink.write(batchOf([upsert('a', 1), upsert('b', 1)]), { signal });
        await sink.write(batchOf([remove('a', 2)]), { signal });
        if (versioned) await sink.write(batchOf([upsert('a', 1)]), { signal });
        expect(alive(await read())).toEqual(new Map([['b', 'b@1']]));
        await sink.write(batchOf([upsert('a', 3)]), { signal });
        expect(alive(await read()).get('a')).toBe('a@3');
      });
    }

    const refusedItem = options.refusedItem;
    if (refusedItem !== undefined) {
      it('rejects the change the target refuses, with its reason, and lands the rest', async () => {
        const { sink, read } = await create();
        const bad = refusedItem('bad');
        const changes = [upsert('a', 1), upsert(bad.id, bad.revision, bad.value), upsert('c', 1)];
        const result = await sink.write(batchOf(changes), { signal });
        expect(result?.rejected?.map(({ index }) => index)).toEqual([1]);
        expect(result?.rejected?.[0]?.error).toBeDefined();
        const values = alive(await read());
        expect(values.get('a')).toBe('a@1');
        expect(values.get('c')).toBe('c@1');
        expect(values.has(bad.id)).toBe(false);
      });
    }

    it('keys entities by their key, as the consumer reads it', async () => {
      const { sink, read } = await create();
      await sink.write(batchOf([upsert('ö-1', 1), upsert('o-1', 1)]), { signal });
      expect([...alive(await read()).keys()].sort()).toEqual(['o-1', 'ö-1'].sort());
    });
  });
}
