import { checkOptions, option, required } from '@inlet/core';
import { untilAborted } from './abortable';
import { DigestedRows, type KeyedRow } from './digested-rows';
import { parseJsonExact } from './exact-json';
import { reconcileError } from './reconcile-error';
import { ReconcileErrorCode } from './reconcile-error-code';
import type { ComparePlan, ReconcileSide } from './reconcile-side';
import { columnsOf } from './snake-case';

/** A pipeline of an ioredis client: the commands reconciliation reads with. */
export interface RedisReadPipeline {
  get(key: string): unknown;
  hgetall(key: string): unknown;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

/** An ioredis `Redis` of yours: reconciliation never quits it. */
export interface RedisReadClient {
  scan(
    cursor: string,
    matchToken: 'MATCH',
    pattern: string,
    countToken: 'COUNT',
    count: number,
  ): Promise<[cursor: string, elements: string[]]>;
  pipeline(): RedisReadPipeline;
}

export interface RedisSinkReadOptions {
  readonly redis: RedisReadClient;
  /** The Redis sink's `keyPrefix`: every key under it (but the `:v` version keys) is an entity. */
  readonly keyPrefix: string;
  /** The Redis sink's `format`. Default `json`. */
  readonly format?: 'json' | 'hash';
  /**
   * The compared row of a stored value (parsed JSON, or the hash as an object). Default: its
   * top-level properties under their snake_case column names, as the sinks derive columns.
   */
  readonly row?: (
    stored: Readonly<Record<string, unknown>>,
    key: string,
  ) => Readonly<Record<string, unknown>>;
  /** Keys per SCAN and per pipeline of reads. Default 1000. */
  readonly batchSize?: number;
}

const redisSinkShape = {
  redis: required(
    option.methods('an ioredis client', ['scan', 'pipeline'], 'pass your ioredis `new Redis(...)`'),
  ),
  keyPrefix: required(option.nonEmptyString()),
  format: option.oneOf(['json', 'hash']),
  row: option.function('a function (stored, key) => the compared row'),
  batchSize: option.integer({ min: 1, max: 100_000 }),
};

const versionKeySuffix = ':v';

const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, (found) => `\\${found}`);

/**
 * A hash field as a value: the Redis sink stores strings as they are and everything else as
 * JSON, so a field that reads as JSON other than a string is that value; anything else is the
 * string itself. (A string that looks like a number, `"42"`, is therefore read as 42.)
 */
function hashFieldValue(text: string): unknown {
  try {
    const parsed: unknown = parseJsonExact(text);
    return typeof parsed === 'string' ? text : parsed;
  } catch {
    return text;
  }
}

function isDeletedMarker(value: Readonly<Record<string, unknown>>): boolean {
  return value.__deleted === true || value.__deleted === 'true';
}

/**
 * The entities the Redis sink (`@inlet/sinks/redis`) keeps under `keyPrefix`: one key per
 * entity, its value a JSON string or a hash; version side keys (`:v`) and delete markers are
 * skipped. Read with SCAN and pipelined GET/HGETALL, then digested in memory.
 */
export function redisSink(options: RedisSinkReadOptions): ReconcileSide {
  checkOptions('Redis reconcile sink', options, redisSinkShape);
  const { redis, keyPrefix } = options;
  const format = options.format ?? 'json';
  const batchSize = options.batchSize ?? 1000;
  const toRow = options.row ?? ((stored: Readonly<Record<string, unknown>>) => columnsOf(stored));
  const description = `redis:${keyPrefix}*`;
  let rows: DigestedRows | undefined;
  // What `columns()` read, kept for the `prepare()` of the same run (same signal) only.
  let preloaded: { readonly signal: AbortSignal; readonly rows: DigestedRows } | undefined;

  const decode = (key: string, reply: unknown): Readonly<Record<string, unknown>> | undefined => {
    if (reply === null || reply === undefined) return undefined; // gone between SCAN and GET
    if (format === 'hash') {
      const fields = reply as Record<string, string>;
      if (Object.keys(fields).length === 0) return undefined;
      const value: Record<string, unknown> = {};
      for (const [field, text] of Object.entries(fields)) value[field] = hashFieldValue(text);
      return value;
    }
    let parsed: unknown;
    try {
      parsed = parseJsonExact(String(reply));
    } catch (error) {
      throw reconcileError(
        ReconcileErrorCode.unreadableValue,
        `${description}: the value of ${key} is not JSON`,
        error,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw reconcileError(
        ReconcileErrorCode.unreadableValue,
        `${description}: the value of ${key} is not a JSON object`,
      );
    return parsed as Record<string, unknown>;
  };

  const readValues = async (keys: readonly string[], signal: AbortSignal, into: KeyedRow[]) => {
    const pipeline = redis.pipeline();
    for (const key of keys) format === 'hash' ? pipeline.hgetall(key) : pipeline.get(key);
    const replies = (await untilAborted(pipeline.exec(), signal, `reading ${description}`)) ?? [];
    replies.forEach(([error, reply], index) => {
      const key = keys[index] as string;
      if (error !== null)
        throw reconcileError(
          ReconcileErrorCode.unreadableValue,
          `${description}: reading ${key} failed: ${error.message}`,
          error,
        );
      const value = decode(key, reply);
      if (value === undefined || isDeletedMarker(value)) return;
      const id = key.slice(keyPrefix.length);
      into.push({ key: id, values: toRow(value, id) });
    });
  };

  const load = async (signal: AbortSignal): Promise<DigestedRows> => {
    const loaded: KeyedRow[] = [];
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await untilAborted(
        redis.scan(cursor, 'MATCH', `${globEscape(keyPrefix)}*`, 'COUNT', batchSize),
        signal,
        `scanning ${description}`,
      );
      cursor = next;
      // SCAN may return a key more than once.
      const fresh = keys.filter((key) => !key.endsWith(versionKeySuffix) && !seen.has(key));
      for (const key of fresh) seen.add(key);
      for (let at = 0; at < fresh.length; at += batchSize)
        await readValues(fresh.slice(at, at + batchSize), signal, loaded);
    } while (cursor !== '0');
    return new DigestedRows(loaded);
  };

  const loaded = (): DigestedRows => rows as DigestedRows;
  return {
    description,
    async columns(signal) {
      const read = await load(signal);
      preloaded = { signal, rows: read };
      return read.columns();
    },
    async prepare(plan: ComparePlan) {
      rows = preloaded?.signal === plan.signal ? preloaded.rows : await load(plan.signal);
      preloaded = undefined;
    },
    async summarise(plan) {
      return loaded().summarise(plan);
    },
    async digestsIn(plan, buckets) {
      return loaded().digestsIn(plan, buckets);
    },
  };
}
