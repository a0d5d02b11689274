import { InletErrorCode, InletValidationError, type ValidationIssue } from '../errors';

/**
 * One rule of an options schema: checks a value found at `path` and records what is wrong with
 * it in `issues`. Rules never throw, so one pass finds every problem at once.
 */
export interface OptionRule {
  /** What a valid value is, for messages: "a positive integer", "a function". */
  readonly expected: string;
  readonly required: boolean;
  check(value: unknown, path: string, issues: ValidationIssue[]): void;
}

/** The keys an options object may have, each with its rule. */
export type OptionShape = Readonly<Record<string, OptionRule>>;

/**
 * What a value is, for messages. String contents are never echoed: an option may hold a
 * password or a token, and a mistyped option is still a secret.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : 'a string';
    case 'number':
      return Number.isNaN(value) ? 'NaN' : String(value);
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return 'a function';
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    default: {
      const name = (value as object).constructor?.name;
      return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
    }
  }
}

function rule(expected: string, accepts: (value: unknown) => boolean): OptionRule {
  return {
    expected,
    required: false,
    check(value, path, issues) {
      if (!accepts(value)) issues.push({ path, message: `must be ${expected}, got ${describeValue(value)}` });
    },
  };
}

/** The same rule, for an option that must be given. */
export function required<TRule extends OptionRule>(optional: TRule): TRule {
  return { ...optional, required: true };
}

/** The range a number option must be in. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
}

function boundsText({ min, max }: NumberBounds): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

function within(value: number, { min, max }: NumberBounds): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}

function methodList(methods: readonly string[]): string {
  return methods.map((name) => `${name}()`).join(', ');
}

/** An `object` rule keeps its shape, so typo suggestions can look one level down. */
export interface ObjectOptionRule extends OptionRule {
  readonly shape: OptionShape;
}

/**
 * The rules an options schema is written with. Every rule accepts `undefined` (an option left
 * out) unless wrapped in {@link required}; `object` checks nested keys and refuses unknown ones.
 */
export const option = {
  string: (): OptionRule => rule('a string', (value) => typeof value === 'string'),
  nonEmptyString: (): OptionRule =>
    rule('a non-empty string', (value) => typeof value === 'string' && value.length > 0),
  boolean: (): OptionRule => rule('true or false', (value) => typeof value === 'boolean'),
  integer: (bounds: NumberBounds = {}): OptionRule =>
    rule(
      `an integer${boundsText(bounds)}`,
      (value) => typeof value === 'number' && Number.isSafeInteger(value) && within(value, bounds),
    ),
  number: (bounds: NumberBounds = {}): OptionRule =>
    rule(
      `a finite number${boundsText(bounds)}`,
      (value) => typeof value === 'number' && Number.isFinite(value) && within(value, bounds),
    ),
  /** `signature` says what the function is called with, e.g. "a function (sourceTopic) => string". */
  function: (signature = 'a function'): OptionRule => rule(signature, (value) => typeof value === 'function'),
  /** One of a few literal values. */
  oneOf: (values: readonly (string | number | boolean)[]): OptionRule =>
    rule(`one of ${values.map((value) => JSON.stringify(value)).join(', ')}`, (value) =>
      values.includes(value as string | number | boolean),
    ),
  /** Anything `accepts` takes (an instance check, a brand). */
  custom: (expected: string, accepts: (value: unknown) => boolean): OptionRule => rule(expected, accepts),
  /**
   * An object with (at least) these methods: a store, a client, a logger. `hint` is added when
   * some are missing, to say what was probably meant ("wrap the Redis client with …").
   */
  methods(what: string, methods: readonly string[], hint?: string): OptionRule {
    const expected = `${what} (an object with ${methodList(methods)})`;
    return {
      expected,
      required: false,
      check(value, path, issues) {
        if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
          issues.push({ path, message: `must be ${expected}, got ${describeValue(value)}` });
          return;
        }
        const missing = methods.filter(
          (name) => typeof (value as Record<string, unknown>)[name] !== 'function',
        );
        if (missing.length === 0) return;
        issues.push({
          path,
          message: `must be ${what}; ${describeValue(value)} lacks ${methodList(missing)}${hint === undefined ? '' : ` (${hint})`}`,
        });
      },
    };
  },
  /** A plain object whose keys follow `shape`; unknown keys are refused, with suggestions. */
  object(shape: OptionShape, hint?: string): ObjectOptionRule {
    return {
      expected: 'an object',
      required: false,
      shape,
      check(value, path, issues) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          issues.push({
            path,
            message: `must be an object, got ${describeValue(value)}${hint === undefined ? '' : ` (${hint})`}`,
          });
          return;
        }
        checkShape(value as Record<string, unknown>, shape, path, issues);
      },
    };
  },
  /** An array whose every item follows `item`. */
  arrayOf(item: OptionRule, bounds: { readonly minItems?: number } = {}): OptionRule {
    const expected = `an array of ${item.expected}`;
    return {
      expected,
      required: false,
      check(value, path, issues) {
        if (!Array.isArray(value)) {
          issues.push({ path, message: `must be ${expected}, got ${describeValue(value)}` });
          return;
        }
        if (bounds.minItems !== undefined && value.length < bounds.minItems) {
          issues.push({
            path,
            message: `must have at least ${bounds.minItems} item(s), got ${value.length}`,
          });
        }
        value.forEach((entry, index) => {
          item.check(entry, `${path}[${index}]`, issues);
        });
      },
    };
  },
  /**
   * One of several rules, chosen by the value's kind (`false` or an object, say), so that a wrong
   * object is told what its keys should be rather than only that it is not `false`. `pick`
   * returns the index of the rule to check against, or undefined when none fits.
   */
  either(rules: readonly OptionRule[], pick: (value: unknown) => number | undefined): OptionRule {
    const expected = rules.map((each) => each.expected).join(' or ');
    return {
      expected,
      required: false,
      check(value, path, issues) {
        const index = pick(value);
        const chosen = index === undefined ? undefined : rules[index];
        if (chosen === undefined)
          issues.push({ path, message: `must be ${expected}, got ${describeValue(value)}` });
        else chosen.check(value, path, issues);
      },
    };
  },
} as const;

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Every key a shape accepts, also nested ones as they might be typed flat (`linger.ms` as `lingerMs`). */
function candidateKeys(shape: OptionShape): { readonly typed: string; readonly path: string }[] {
  const candidates: { typed: string; path: string }[] = [];
  for (const [key, each] of Object.entries(shape)) {
    candidates.push({ typed: key, path: key });
    const nested = (each as Partial<ObjectOptionRule>).shape;
    if (nested !== undefined) {
      for (const child of Object.keys(nested)) {
        candidates.push({
          typed: `${key}${child[0]?.toUpperCase() ?? ''}${child.slice(1)}`,
          path: `${key}.${child}`,
        });
      }
    }
  }
  return candidates;
}

/** Edits (insert, delete, substitute, swap two neighbours) from one word to another. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (rows[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = distance;
    }
  }
  return at(a.length, b.length);
}

/** The option an unknown key was probably meant to be: same letters in another case, or one or two typos away. */
export function suggestKey(unknown: string, shape: OptionShape): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { path: string; distance: number } | undefined;
  for (const { typed, path } of candidateKeys(shape)) {
    const distance = typed.toLowerCase() === lower ? 0 : editDistance(lower, typed.toLowerCase());
    const allowed = typed.length <= 3 ? 0 : typed.length <= 5 ? 1 : 2;
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { path, distance };
  }
  return best?.path;
}

function checkShape(
  value: Record<string, unknown>,
  shape: OptionShape,
  path: string,
  issues: ValidationIssue[],
): void {
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(shape, key)) continue;
    const suggestion = suggestKey(key, shape);
    issues.push({
      path: joinPath(path, key),
      message: `is not an option${suggestion === undefined ? '' : ` (did you mean ${joinPath(path, suggestion)}?)`}`,
    });
  }
  for (const [key, each] of Object.entries(shape)) {
    const entry = value[key];
    if (entry === undefined) {
      if (each.required)
        issues.push({ path: joinPath(path, key), message: `is required: give ${each.expected}` });
      continue;
    }
    each.check(entry, joinPath(path, key), issues);
  }
}

/**
 * Checks a client's options against its schema and throws one INLET_INVALID_OPTION error that
 * lists every problem, each with the option's path (`retry.minDelayMs`), what was expected and
 * what was given (never the text of a string, which could be a secret). Unknown keys are refused,
 * with the option probably meant. `extra` adds checks that span several options.
 */
export function checkOptions(
  subject: string,
  value: unknown,
  shape: OptionShape,
  extra?: (options: Record<string, unknown>, issues: ValidationIssue[]) => void,
): void {
  const issues: ValidationIssue[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path: '', message: `must be an object, got ${describeValue(value)}` });
  } else {
    checkShape(value as Record<string, unknown>, shape, '', issues);
    if (issues.length === 0) extra?.(value as Record<string, unknown>, issues);
  }
  if (issues.length > 0)
    throw new InletValidationError(InletErrorCode.invalidOption, undefined, issues, {
      subject: `${subject} options`,
    });
}
