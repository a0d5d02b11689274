import { createEvent, defineEvent, defineTopic, jsonSchema, type TopicEvent } from '@inlet/core';
import type { SinkBatch, SinkChange } from '@inlet/sinks';
import { createRedisSink } from '@inlet/sinks/redis';
import { type DedicatedRedis, startDedicatedRedis } from '@inlet/test-support';
import { Redis } from 'ioredis';
import type { Arm, ArmRun, Scenario } from '../harness';

// The Redis sink's `write` on batches of 500 against hand-written ioredis doing the same guarded
// writes (the same Lua script by EVALSHA), pipelined per batch, and awaited one by one. On a Redis
// of the bench's own, so that other users of the shared one do not blur the numbers.

const Price = defineEvent({
  type: 'price.set',
  version: 1,
  schema: jsonSchema({
    type: 'object',
    properties: {
      sku: { type: 'string' },
      revision: { type: 'integer' },
      cents: { type: 'integer' },
      currency: { type: 'string' },
    },
    required: ['sku', 'revision', 'cents', 'currency'],
    additionalProperties: false,
  }),
  key: (price) => price.sku,
  eventTime: () => new Date(),
  entityVersion: (price) => price.revision,
});
const prices = defineTopic({ name: 'bench-prices', events: [Price] });
type PriceEvent = TopicEvent<typeof prices>;

// The sink's script (several entities per call), written out again: the baselines must not run
// the sink's own code.
const guardScript = `
local results = {}
local at = 1
for first = 1, #KEYS, 2 do
  local valueKey, versionKey = KEYS[first], KEYS[first + 1]
  local kind, action, version = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local valueTtl, versionTtl, count = ARGV[at + 3], ARGV[at + 4], tonumber(ARGV[at + 5])
  local value = at + 6
  at = value + count
  local stored = redis.call('GET', versionKey)
  if version ~= '' and stored and tonumber(stored) >= tonumber(version) then
    results[#results + 1] = 0
  else
    local found = redis.call('TYPE', valueKey)['ok']
    if found ~= 'none' and found ~= kind then
      results[#results + 1] = 'WRONGTYPE Operation against a key holding the wrong kind of value'
    else
      if action == 'remove' then
        redis.call('DEL', valueKey)
      elseif kind == 'string' then
        if valueTtl == '' then
          redis.call('SET', valueKey, ARGV[value])
        else
          redis.call('SET', valueKey, ARGV[value], 'EX', valueTtl)
        end
      else
        redis.call('DEL', valueKey)
        if count > 0 then
          redis.call('HSET', valueKey, unpack(ARGV, value, value + count - 1))
          if valueTtl ~= '' then
            redis.call('EXPIRE', valueKey, valueTtl)
          end
        end
      end
      local kept = stored
      if version ~= '' then
        kept = version
      end
      if kept then
        if versionTtl == '' then
          redis.call('SET', versionKey, kept)
        else
          redis.call('SET', versionKey, kept, 'EX', versionTtl)
        end
      end
      results[#results + 1] = 1
    end
  end
end
return results
`;

const batchSize = 500;

interface Workload {
  readonly batches: readonly SinkBatch<PriceEvent>[];
  readonly changes: number;
}

/** `batchCount` batches of 500 distinct SKUs each, every change one revision newer than the last run's. */
function workload(batchCount: number, run: number): Workload {
  const batches: SinkBatch<PriceEvent>[] = [];
  let offset = 0;
  for (let index = 0; index < batchCount; index += 1) {
    const changes: SinkChange<PriceEvent>[] = [];
    for (let position = 0; position < batchSize; position += 1) {
      const sku = `sku-${index * batchSize + position}`;
      const revision = run;
      const event = createEvent(
        Price,
        { sku, revision, cents: 100 + ((run * 7 + position) % 9_000), currency: 'EUR' },
        { source: 'urn:bench' },
      );
      changes.push({ kind: 'upsert', event, key: sku, entityVersion: revision, offset: String(offset++) });
    }
    batches.push({ groupId: 'bench', topic: prices.name, partition: 0, changes, nextOffset: String(offset) });
  }
  return { batches, changes: batchCount * batchSize };
}

type Writer = (batch: SinkBatch<PriceEvent>, keyPrefix: string) => Promise<void>;

/** An arm timing only the writes: each run gets fresh (newer) changes, built before the clock starts. */
function arm(label: string, batchCount: number, keyPrefix: string, write: Writer): Arm {
  let run = 0;
  return {
    label,
    async run(): Promise<ArmRun> {
      run += 1;
      const { batches, changes } = workload(batchCount, run);
      const started = performance.now();
      for (const batch of batches) await write(batch, keyPrefix);
      return { work: changes, wallSeconds: (performance.now() - started) / 1000 };
    },
  };
}

/** The script's keys and arguments for `changes` (upserts, as JSON strings, no TTL). */
function guardCall(changes: readonly SinkChange<PriceEvent>[], keyPrefix: string): [number, ...string[]] {
  const keys: string[] = [];
  const args: string[] = [];
  for (const change of changes) {
    if (change.kind !== 'upsert') throw new Error('the bench writes upserts only');
    const key = `${keyPrefix}${change.key as string}`;
    keys.push(key, `${key}:v`);
    args.push('string', 'put', String(change.entityVersion), '', '', '1', JSON.stringify(change.event.data));
  }
  return [keys.length, ...keys, ...args];
}

function failedChange(result: unknown): boolean {
  return !Array.isArray(result) || result.some((each) => each !== 1 && each !== 0);
}

interface Setup {
  readonly server: DedicatedRedis;
  readonly redis: Redis;
  readonly sha1: string;
  readonly sinkArm: Arm;
  teardown(): Promise<void>;
}

async function setUp(batchCount: number): Promise<Setup> {
  const server = await startDedicatedRedis();
  const redis = new Redis(server.url);
  const sha1 = (await redis.script('LOAD', guardScript)) as string;
  const sink = createRedisSink({ redis, topics: [prices], keyPrefix: 'sink:' });
  const signal = new AbortController().signal;
  const sinkArm = arm('Redis sink write (batches of 500)', batchCount, 'sink:', async (batch) => {
    const { rejected } = await sink.write(batch, { signal });
    if (rejected !== undefined && rejected.length > 0) throw new Error('the sink rejected changes');
  });
  return {
    server,
    redis,
    sha1,
    sinkArm,
    async teardown() {
      await sink.close();
      redis.disconnect();
      await server.remove();
    },
  };
}

const pipelined: Scenario = {
  name: 'sink-redis',
  group: 'sinks',
  description:
    'the Redis sink (sink.write on batches of 500 upserts: collapse per key, the version-guard Lua script by ' +
    'EVALSHA for 100 changes a call, one pipeline per batch) vs hand-written ioredis sending the same script ' +
    'calls in one pipeline per batch; a dedicated redis-server (appendonly)',
  unit: 'changes/s',
  better: 'higher',
  needsKafka: false,
  pairs: 10,
  warmupRuns: 2,
  async prepare({ quick }) {
    const batchCount = quick ? 10 : 60;
    const setup = await setUp(batchCount);
    const raw = arm(
      'ioredis pipeline of EVALSHA (100 changes each) per batch',
      batchCount,
      'raw:',
      async (batch, keyPrefix) => {
        const pipeline = setup.redis.pipeline();
        for (let start = 0; start < batch.changes.length; start += 100) {
          const [numKeys, ...rest] = guardCall(batch.changes.slice(start, start + 100), keyPrefix);
          pipeline.evalsha(setup.sha1, numKeys, ...rest);
        }
        const replies = await pipeline.exec();
        if (replies?.some(([error, result]) => error !== null || failedChange(result)))
          throw new Error('a raw write failed');
      },
    );
    return { ours: setup.sinkArm, baseline: raw, teardown: setup.teardown };
  },
};

const unpipelined: Scenario = {
  name: 'sink-redis-unpipelined',
  group: 'sinks',
  description:
    'the Redis sink (sink.write on batches of 500 upserts, pipelined) vs hand-written ioredis writing the ' +
    'same changes one by one, each an EVALSHA of the same script for that one change, awaited before the ' +
    'next; a dedicated redis-server (appendonly)',
  unit: 'changes/s',
  better: 'higher',
  needsKafka: false,
  pairs: 8,
  warmupRuns: 2,
  async prepare({ quick }) {
    const batchCount = quick ? 4 : 20;
    const setup = await setUp(batchCount);
    const oneByOne = arm(
      'ioredis EVALSHA awaited one by one',
      batchCount,
      'raw:',
      async (batch, keyPrefix) => {
        for (const change of batch.changes) {
          const [numKeys, ...rest] = guardCall([change], keyPrefix);
          if (failedChange(await setup.redis.evalsha(setup.sha1, numKeys, ...rest)))
            throw new Error('a raw write failed');
        }
      },
    );
    return { ours: setup.sinkArm, baseline: oneByOne, teardown: setup.teardown };
  },
};

export const sinkRedisScenarios: readonly Scenario[] = [pipelined, unpipelined];
