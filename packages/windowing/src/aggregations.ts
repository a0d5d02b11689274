import { InletError, InletErrorCode } from '@inlet/core';

/**
 * How a window's events fold into a result. `input` takes what the aggregation needs from an
 * event (kept in state, so it must survive `JSON.stringify`); `add` folds a value into the
 * accumulator and may change it in place; `merge` joins two accumulators (session windows need
 * it); `result` is what is emitted. `encode`/`decode` turn an accumulator into JSON and back for
 * the changelog (default: the accumulator itself).
 */
export interface Aggregation<TEvent, TValue, TAccumulator, TResult> {
  readonly name: string;
  input(event: TEvent): TValue;
  init(): TAccumulator;
  add(accumulator: TAccumulator, value: TValue): TAccumulator;
  merge?(left: TAccumulator, right: TAccumulator): TAccumulator;
  result(accumulator: TAccumulator): TResult;
  encode?(accumulator: TAccumulator): unknown;
  decode?(encoded: unknown): TAccumulator;
}

// biome-ignore lint/suspicious/noExplicitAny: any aggregation, whatever its types
export type AnyAggregation<TEvent = any> = Aggregation<TEvent, any, any, any>;

/** The result type of an aggregation. */
export type AggregationResult<TAggregation> =
  TAggregation extends Aggregation<never, unknown, unknown, infer TResult> ? TResult : never;

/** What a numeric aggregation reads from an event. */
export type ValueOf<TEvent> = (event: TEvent) => number;

function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new InletError(
      InletErrorCode.invalidOption,
      `${name} needs a function of the event, got ${typeof value}`,
    );
  }
}

function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InletError(
      InletErrorCode.validationFailed,
      `${name}: the value of an event must be a finite number, got ${String(value)}`,
    );
  }
  return value;
}

/** Events in the window. */
export function count<TEvent = unknown>(): Aggregation<TEvent, null, number, number> {
  return {
    name: 'count',
    input: () => null,
    init: () => 0,
    add: (total) => total + 1,
    merge: (left, right) => left + right,
    result: (total) => total,
  };
}

export function sum<TEvent>(value: ValueOf<TEvent>): Aggregation<TEvent, number, number, number> {
  checkFunction('sum', value);
  return {
    name: 'sum',
    input: (event) => finiteNumber('sum', value(event)),
    init: () => 0,
    add: (total, amount) => total + amount,
    merge: (left, right) => left + right,
    result: (total) => total,
  };
}

function extreme<TEvent>(
  name: 'min' | 'max',
  value: ValueOf<TEvent>,
  pick: (a: number, b: number) => number,
): Aggregation<TEvent, number, number | null, number | null> {
  checkFunction(name, value);
  return {
    name,
    input: (event) => finiteNumber(name, value(event)),
    init: () => null,
    add: (current, amount) => (current === null ? amount : pick(current, amount)),
    merge: (left, right) => (left === null ? right : right === null ? left : pick(left, right)),
    result: (current) => current,
  };
}

/** The smallest value (null for a window without events, which is never emitted). */
export function min<TEvent>(
  value: ValueOf<TEvent>,
): Aggregation<TEvent, number, number | null, number | null> {
  return extreme('min', value, Math.min);
}

export function max<TEvent>(
  value: ValueOf<TEvent>,
): Aggregation<TEvent, number, number | null, number | null> {
  return extreme('max', value, Math.max);
}

/** The mean of the values. */
export function avg<TEvent>(
  value: ValueOf<TEvent>,
): Aggregation<TEvent, number, { sum: number; count: number }, number | null> {
  checkFunction('avg', value);
  return {
    name: 'avg',
    input: (event) => finiteNumber('avg', value(event)),
    init: () => ({ sum: 0, count: 0 }),
    add: (accumulator, amount) => {
      accumulator.sum += amount;
      accumulator.count += 1;
      return accumulator;
    },
    merge: (left, right) => ({ sum: left.sum + right.sum, count: left.count + right.count }),
    result: (accumulator) => (accumulator.count === 0 ? null : accumulator.sum / accumulator.count),
  };
}

/** How many distinct values (exact: the window keeps the set of values it saw). */
export function distinctCount<TEvent>(
  value: (event: TEvent) => string | number,
): Aggregation<TEvent, string | number, Set<string | number>, number> {
  checkFunction('distinctCount', value);
  return {
    name: 'distinctCount',
    input: (event) => {
      const distinct = value(event);
      if (typeof distinct !== 'string' && (typeof distinct !== 'number' || !Number.isFinite(distinct))) {
        throw new InletError(
          InletErrorCode.validationFailed,
          `distinctCount: the value of an event must be a string or a finite number, got ${String(distinct)}`,
        );
      }
      return distinct;
    },
    init: () => new Set(),
    add: (seen, distinct) => seen.add(distinct),
    merge: (left, right) => {
      for (const distinct of right) left.add(distinct);
      return left;
    },
    result: (seen) => seen.size,
    encode: (seen) => [...seen],
    decode: (encoded) => new Set(encoded as (string | number)[]),
  };
}

/** Folds the values with `combine` (associative, for sessions): the first value starts it. */
export function reduce<TEvent, TValue>(
  value: (event: TEvent) => TValue,
  combine: (left: TValue, right: TValue) => TValue,
): Aggregation<TEvent, TValue, { value: TValue } | null, TValue | null> {
  checkFunction('reduce', value);
  checkFunction('reduce', combine);
  return {
    name: 'reduce',
    input: value,
    init: () => null,
    add: (current, next) => (current === null ? { value: next } : { value: combine(current.value, next) }),
    merge: (left, right) =>
      left === null ? right : right === null ? left : { value: combine(left.value, right.value) },
    result: (current) => (current === null ? null : current.value),
  };
}

/**
 * An aggregation of your own with a typed accumulator. Give `merge` to use it with session
 * windows, `encode`/`decode` when the accumulator is not plain JSON.
 */
export function aggregate<TEvent, TValue, TAccumulator, TResult = TAccumulator>(definition: {
  readonly name?: string;
  readonly input: (event: TEvent) => TValue;
  readonly init: () => TAccumulator;
  readonly add: (accumulator: TAccumulator, value: TValue) => TAccumulator;
  readonly merge?: (left: TAccumulator, right: TAccumulator) => TAccumulator;
  readonly result?: (accumulator: TAccumulator) => TResult;
  readonly encode?: (accumulator: TAccumulator) => unknown;
  readonly decode?: (encoded: unknown) => TAccumulator;
}): Aggregation<TEvent, TValue, TAccumulator, TResult> {
  for (const name of ['input', 'init', 'add'] as const) checkFunction(`aggregate.${name}`, definition[name]);
  const result = definition.result ?? ((accumulator: TAccumulator) => accumulator as unknown as TResult);
  return {
    name: definition.name ?? 'aggregate',
    input: definition.input,
    init: definition.init,
    add: definition.add,
    ...(definition.merge === undefined ? {} : { merge: definition.merge }),
    result,
    ...(definition.encode === undefined ? {} : { encode: definition.encode }),
    ...(definition.decode === undefined ? {} : { decode: definition.decode }),
  };
}
