// The store contracts: the behaviour every DedupStore and VersionStore must show, run against the
// memory stores (unit tests) and against Redis and PostgreSQL (integration tests). Not part of
// the public API.
import { InletError, InletErrorCode } from '@inlet/core';
import { eventually } from '@inlet/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import type { DedupStore, VersionStore } from './stores';

export interface StoreContractOptions {
  /**
   * Whether two stores created on the same backing share what they remember, as durable stores
   * across a restart do. Default true; false skips those cases (memory stores).
   */
  readonly durable?: boolean;
  /**
   * Whether calls after `close()` fail with INLET_CLOSED. Default true; the memory stores, which
   * only forget on close, say false.
   */
  readonly rejectsAfterClose?: boolean;
  /** Deletes a test's backing (its keys, its table) once the test's stores are closed. */
  readonly cleanup?: (backing: string) => Promise<void>;
}

/**
 * Makes a store on `backing`: a name unique to one test (lower-case letters, digits and `_`, at
 * most 12 characters, so it can be part of a table name). The same backing, the same storage.
 */
export type CreateStore<TStore> = (backing: string) => Promise<TStore> | TStore;

// Every kind of character a key may hold: the consumer joins group and key with NUL, PostgreSQL
// text cannot hold NUL, and an escaping scheme for it must keep `x\0y` and `x\\0y` apart.
const awkwardKeys = [
  'group\u0000event-1',
  'group\\0event-1',
  'group\\\u0000event-1',
  'back\\slash',
  'quote\'s "double"',
  '{braces},[brackets],commas',
  'spaces and\ttabs\nnewline',
  'ünïcødé-😀',
  '',
];

const shortTtlMs = 200;
const longTtlMs = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function expectClosed(call: () => Promise<unknown>): Promise<void> {
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(InletError.hasCode(error, InletErrorCode.closed)).toBe(true);
}

let backingCounter = 0;
function newBacking(): string {
  backingCounter += 1;
  return `c${backingCounter}${Math.random().toString(36).slice(2, 7)}`;
}

/** Opens stores for one test and closes them (then cleans their backing) after it. */
function storeScope<TStore extends { close(): Promise<void> }>(
  create: CreateStore<TStore>,
  options: StoreContractOptions,
) {
  const opened: TStore[] = [];
  const backings: string[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    for (const backing of backings.splice(0)) await options.cleanup?.(backing);
  });
  return {
    backing(): string {
      const backing = newBacking();
      backings.push(backing);
      return backing;
    },
    async open(backing: string): Promise<TStore> {
      const store = await create(backing);
      opened.push(store);
      return store;
    },
  };
}

export function describeDedupStoreContract(
  name: string,
  create: CreateStore<DedupStore>,
  options: StoreContractOptions = {},
): void {
  const durable = options.durable ?? true;

  describe(`DedupStore contract: ${name}`, () => {
    const scope = storeScope(create, options);
    const fresh = () => scope.open(scope.backing());

    it('says unseen keys are not seen, and answers no keys with no answers', async () => {
      const store = await fresh();
      expect(await store.seen(['never-1', 'never-2'])).toEqual([false, false]);
      expect(await store.seen([])).toEqual([]);
      await store.mark([], longTtlMs);
    });

    it('sees a marked key until its ttl passes, then no more', async () => {
      const store = await fresh();
      const markedAt = Date.now();
      await store.mark(['short-lived'], shortTtlMs);
      expect(await store.seen(['short-lived'])).toEqual([true]);
      await eventually(async () => ((await store.seen(['short-lived']))[0] ? undefined : true), {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: 'the mark to expire',
      });
      // Clocks tick in milliseconds at best: allow a little before the exact ttl.
      expect(Date.now() - markedAt).toBeGreaterThanOrEqual(shortTtlMs - 20);
    });

    it('marks and checks many keys in one call, answering in the order asked', async () => {
      const store = await fresh();
      const marked = Array.from({ length: 1_500 }, (_, index) => `many-${index}`);
      const unmarked = Array.from({ length: 1_500 }, (_, index) => `other-${index}`);
      await store.mark(marked, longTtlMs);
      const asked = marked.flatMap((key, index) => [key, unmarked[index] as string]);
      const answers = await store.seen(asked);
      expect(answers).toEqual(asked.map((_, index) => index % 2 === 0));
    });

    it('keeps marks per key, each with its own ttl', async () => {
      const store = await fresh();
      await store.mark(['per-key-short'], shortTtlMs);
      await store.mark(['per-key-long'], longTtlMs);
      expect(await store.seen(['per-key-short', 'per-key-long', 'per-key-none'])).toEqual([
        true,
        true,
        false,
      ]);
      await sleep(shortTtlMs + 100);
      expect(await store.seen(['per-key-short', 'per-key-long', 'per-key-none'])).toEqual([
        false,
        true,
        false,
      ]);
    });

    it('gives a marked key the ttl of its latest mark', async () => {
      const store = await fresh();
      await store.mark(['re-marked'], shortTtlMs);
      await store.mark(['re-marked'], longTtlMs);
      await sleep(shortTtlMs + 100);
      expect(await store.seen(['re-marked'])).toEqual([true]);
    });

    it('takes a key twice in one call', async () => {
      const store = await fresh();
      await store.mark(['twice', 'twice'], longTtlMs);
      expect(await store.seen(['twice', 'twice', 'not-twice'])).toEqual([true, true, false]);
    });

    it('keeps keys with any characters apart', async () => {
      const store = await fresh();
      const [first, ...rest] = awkwardKeys;
      await store.mark([first as string], longTtlMs);
      expect(await store.seen(awkwardKeys)).toEqual([true, ...rest.map(() => false)]);
      await store.mark(awkwardKeys, longTtlMs);
      expect(await store.seen(awkwardKeys)).toEqual(awkwardKeys.map(() => true));
    });

    it.skipIf(!durable)(
      'shares marks with another store on the same backing, also after a restart',
      async () => {
        const backing = scope.backing();
        const first = await scope.open(backing);
        await first.mark(['durable-1', 'durable-2'], longTtlMs);
        const second = await scope.open(backing);
        expect(await second.seen(['durable-1', 'durable-2', 'durable-3'])).toEqual([true, true, false]);
        await first.close();
        const restarted = await scope.open(backing);
        expect(await restarted.seen(['durable-1', 'durable-2', 'durable-3'])).toEqual([true, true, false]);
        await restarted.mark(['durable-3'], longTtlMs);
        expect(await second.seen(['durable-3'])).toEqual([true]);
        const elsewhere = await fresh();
        expect(await elsewhere.seen(['durable-1'])).toEqual([false]);
      },
    );

    it('closes idempotently, after the calls in flight', async () => {
      const store = await fresh();
      let marked = false;
      const marking = store.mark(['in-flight'], longTtlMs).then(() => {
        marked = true;
      });
      await Promise.all([store.close(), store.close()]);
      expect(marked).toBe(true);
      await store.close();
      await marking;
    });

    it.skipIf(options.rejectsAfterClose === false)('fails calls after close with INLET_CLOSED', async () => {
      const store = await fresh();
      await store.close();
      await expectClosed(() => store.seen(['after-close']));
      await expectClosed(() => store.mark(['after-close'], longTtlMs));
    });
  });
}

export function describeVersionStoreContract(
  name: string,
  create: CreateStore<VersionStore>,
  options: StoreContractOptions = {},
): void {
  const durable = options.durable ?? true;

  describe(`VersionStore contract: ${name}`, () => {
    const scope = storeScope(create, options);
    const fresh = () => scope.open(scope.backing());

    it('knows no version of an entity it never recorded, and answers no keys with no answers', async () => {
      const store = await fresh();
      expect(await store.latest(['entity-1', 'entity-2'])).toEqual([undefined, undefined]);
      expect(await store.latest([])).toEqual([]);
      await store.record([]);
    });

    it('answers the recorded versions in the order asked', async () => {
      const store = await fresh();
      await store.record([
        { key: 'a', version: 3 },
        { key: 'b', version: 0 },
        { key: 'c', version: Number.MAX_SAFE_INTEGER },
      ]);
      expect(await store.latest(['c', 'missing', 'b', 'a'])).toEqual([
        Number.MAX_SAFE_INTEGER,
        undefined,
        0,
        3,
      ]);
    });

    it('keeps the highest version, whatever order versions come in', async () => {
      const store = await fresh();
      await store.record([{ key: 'entity', version: 5 }]);
      await store.record([{ key: 'entity', version: 3 }]);
      expect(await store.latest(['entity'])).toEqual([5]);
      await store.record([{ key: 'entity', version: 7 }]);
      expect(await store.latest(['entity'])).toEqual([7]);
      await store.record([
        { key: 'entity', version: 9 },
        { key: 'entity', version: 12 },
        { key: 'entity', version: 8 },
      ]);
      expect(await store.latest(['entity'])).toEqual([12]);
    });

    it('records many entities in one call', async () => {
      const store = await fresh();
      const entries = Array.from({ length: 1_200 }, (_, index) => ({
        key: `many-${index}`,
        version: index * 2,
      }));
      await store.record(entries);
      expect(await store.latest(entries.map(({ key }) => key))).toEqual(
        entries.map(({ version }) => version),
      );
    });

    it('keeps the highest of 50 concurrent records', async () => {
      const backing = scope.backing();
      // Durable stores: two members racing; memory stores: one store's calls interleaving.
      const members = durable
        ? [await scope.open(backing), await scope.open(backing)]
        : [await scope.open(backing)];
      const keys = ['race-1', 'race-2', 'race-3'];
      const entries = Array.from({ length: 50 }, (_, index) => ({
        key: keys[index % keys.length] as string,
        version: Math.floor(Math.random() * 1_000_000),
      }));
      await Promise.all(
        entries.map((entry, index) => (members[index % members.length] as VersionStore).record([entry])),
      );
      const highest = keys.map((key) =>
        Math.max(...entries.filter((entry) => entry.key === key).map(({ version }) => version)),
      );
      for (const member of members) expect(await member.latest(keys)).toEqual(highest);
    });

    it('keeps keys with any characters apart', async () => {
      const store = await fresh();
      await store.record(awkwardKeys.map((key, index) => ({ key, version: index + 1 })));
      expect(await store.latest(awkwardKeys)).toEqual(awkwardKeys.map((_, index) => index + 1));
    });

    it.skipIf(!durable)(
      'shares versions with another store on the same backing, also after a restart',
      async () => {
        const backing = scope.backing();
        const first = await scope.open(backing);
        await first.record([{ key: 'durable', version: 4 }]);
        const second = await scope.open(backing);
        expect(await second.latest(['durable'])).toEqual([4]);
        await first.close();
        const restarted = await scope.open(backing);
        await restarted.record([{ key: 'durable', version: 2 }]);
        expect(await restarted.latest(['durable'])).toEqual([4]);
      },
    );

    it('closes idempotently, after the calls in flight', async () => {
      const store = await fresh();
      let recorded = false;
      const recording = store.record([{ key: 'in-flight', version: 1 }]).then(() => {
        recorded = true;
      });
      await Promise.all([store.close(), store.close()]);
      expect(recorded).toBe(true);
      await store.close();
      await recording;
    });

    it.skipIf(options.rejectsAfterClose === false)('fails calls after close with INLET_CLOSED', async () => {
      const store = await fresh();
      await store.close();
      await expectClosed(() => store.latest(['after-close']));
      await expectClosed(() => store.record([{ key: 'after-close', version: 1 }]));
    });
  });
}
