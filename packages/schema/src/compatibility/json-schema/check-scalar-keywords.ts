import type { ReadIncompatibility } from '../read-compatibility';
import { incompatibility, Kind, type WriterPart } from './comparison-context';
import { numberKeyword } from './schema-keywords';
import type { SchemaNode } from './schema-node';

type SchemaRecord = Readonly<Record<string, unknown>>;

function writerSchemas(part: WriterPart): SchemaRecord[] {
  return part.branch.nodes.map((node) => node.schema as SchemaRecord);
}

function tightest(
  values: (number | undefined)[],
  pick: (a: number, b: number) => number,
): number | undefined {
  return values.reduce<number | undefined>(
    (best, value) => (value === undefined ? best : best === undefined ? value : pick(best, value)),
    undefined,
  );
}

/** minLength, maxLength, pattern and format against what the writer guarantees for strings. */
export function checkStringKeywords(reader: SchemaNode, part: WriterPart): ReadIncompatibility[] {
  const schema = reader.schema as SchemaRecord;
  const writers = writerSchemas(part);
  const found: ReadIncompatibility[] = [];
  const readerMin = numberKeyword(schema, 'minLength');
  const writerMin =
    tightest(
      writers.map((w) => numberKeyword(w, 'minLength')),
      Math.max,
    ) ?? 0;
  if (readerMin !== undefined && readerMin > writerMin) {
    found.push(
      incompatibility(
        `${reader.pointer}/minLength`,
        Kind.minLengthIncreased,
        `reader requires strings of at least ${readerMin} characters, but the writer allows ${writerMin}`,
      ),
    );
  }
  const readerMax = numberKeyword(schema, 'maxLength');
  const writerMax = tightest(
    writers.map((w) => numberKeyword(w, 'maxLength')),
    Math.min,
  );
  if (readerMax !== undefined && (writerMax === undefined || writerMax > readerMax)) {
    found.push(
      incompatibility(
        `${reader.pointer}/maxLength`,
        Kind.maxLengthDecreased,
        `reader allows strings of at most ${readerMax} characters, but the writer allows ${
          writerMax === undefined ? 'any length' : `up to ${writerMax}`
        }`,
      ),
    );
  }
  if (typeof schema.pattern === 'string') {
    const patterns = writers.map((w) => w.pattern).filter((p): p is string => typeof p === 'string');
    if (!patterns.includes(schema.pattern)) {
      found.push(
        incompatibility(
          `${reader.pointer}/pattern`,
          patterns.length === 0 ? Kind.patternAdded : Kind.patternChanged,
          patterns.length === 0
            ? `reader requires strings to match /${schema.pattern}/, which the writer does not require`
            : `reader requires strings to match /${schema.pattern}/, but the writer only guarantees /${patterns.join('/, /')}/ (patterns are compared as text, so this may be a false alarm)`,
        ),
      );
    }
  }
  found.push(...checkFormat(reader, part, 'strings'));
  return found;
}

function checkFormat(reader: SchemaNode, part: WriterPart, noun: string): ReadIncompatibility[] {
  const format = (reader.schema as SchemaRecord).format;
  if (typeof format !== 'string') return [];
  const formats = writerSchemas(part)
    .map((w) => w.format)
    .filter((f): f is string => typeof f === 'string');
  if (formats.includes(format)) return [];
  return [
    incompatibility(
      `${reader.pointer}/format`,
      formats.length === 0 ? Kind.formatAdded : Kind.formatChanged,
      formats.length === 0
        ? `reader requires ${noun} in format "${format}", which the writer does not require`
        : `reader requires ${noun} in format "${format}", but the writer's are in format "${formats.join('", "')}"`,
    ),
  ];
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

function writerBound(part: WriterPart, side: 'lower' | 'upper', integersOnly: boolean): Bound | undefined {
  const inclusiveKey = side === 'lower' ? 'minimum' : 'maximum';
  const exclusiveKey = side === 'lower' ? 'exclusiveMinimum' : 'exclusiveMaximum';
  let best: Bound | undefined;
  for (const schema of writerSchemas(part)) {
    for (const [key, exclusive] of [
      [inclusiveKey, false],
      [exclusiveKey, true],
    ] as const) {
      const raw = numberKeyword(schema, key);
      if (raw === undefined) continue;
      let bound: Bound = { value: raw, exclusive };
      if (integersOnly) {
        // Whole numbers only: "> 0.5" and "≥ 1" are the same bound.
        const value =
          side === 'lower'
            ? exclusive
              ? Math.floor(raw) + 1
              : Math.ceil(raw)
            : exclusive
              ? Math.ceil(raw) - 1
              : Math.floor(raw);
        bound = { value, exclusive: false };
      }
      best = best === undefined ? bound : tighter(best, bound, side);
    }
  }
  return best;
}

function tighter(a: Bound, b: Bound, side: 'lower' | 'upper'): Bound {
  if (a.value === b.value) return a.exclusive ? a : b;
  return (side === 'lower' ? a.value > b.value : a.value < b.value) ? a : b;
}

function describeBound(bound: Bound | undefined, side: 'lower' | 'upper'): string {
  if (bound === undefined) return side === 'lower' ? 'no lower bound' : 'no upper bound';
  const operator = side === 'lower' ? (bound.exclusive ? '>' : '≥') : bound.exclusive ? '<' : '≤';
  return `values ${operator} ${bound.value}`;
}

/** Whether every value within `bound` satisfies the reader's limit. */
function within(
  bound: Bound | undefined,
  limit: number,
  limitExclusive: boolean,
  side: 'lower' | 'upper',
): boolean {
  if (bound === undefined) return false;
  const beyond = side === 'lower' ? bound.value > limit : bound.value < limit;
  if (beyond) return true;
  if (bound.value !== limit) return false;
  return !limitExclusive || bound.exclusive;
}

/** Bounds, multipleOf and format against what the writer guarantees for numbers. */
export function checkNumberKeywords(
  reader: SchemaNode,
  part: WriterPart,
  integersOnly: boolean,
): ReadIncompatibility[] {
  const schema = reader.schema as SchemaRecord;
  const found: ReadIncompatibility[] = [];
  const noun = integersOnly ? 'integers' : 'numbers';
  const limits = [
    ['minimum', 'lower', false, Kind.minimumIncreased, '≥'],
    ['exclusiveMinimum', 'lower', true, Kind.exclusiveMinimumIncreased, '>'],
    ['maximum', 'upper', false, Kind.maximumDecreased, '≤'],
    ['exclusiveMaximum', 'upper', true, Kind.exclusiveMaximumDecreased, '<'],
  ] as const;
  for (const [keyword, side, exclusive, kind, operator] of limits) {
    const limit = numberKeyword(schema, keyword);
    if (limit === undefined) continue;
    const bound = writerBound(part, side, integersOnly);
    if (within(bound, limit, exclusive, side)) continue;
    found.push(
      incompatibility(
        `${reader.pointer}/${keyword}`,
        kind,
        `reader requires ${noun} ${operator} ${limit}, but the writer allows ${describeBound(bound, side)}`,
      ),
    );
  }
  const multipleOf = numberKeyword(schema, 'multipleOf');
  if (multipleOf !== undefined && !multipleImplied(multipleOf, part, integersOnly)) {
    const writerMultiples = writerSchemas(part)
      .map((w) => numberKeyword(w, 'multipleOf'))
      .filter((m): m is number => m !== undefined);
    found.push(
      incompatibility(
        `${reader.pointer}/multipleOf`,
        Kind.multipleOfChanged,
        `reader requires multiples of ${multipleOf}, but the writer ${
          writerMultiples.length === 0
            ? 'has no multipleOf'
            : `only guarantees multiples of ${writerMultiples.join(', ')}`
        }${Number.isInteger(multipleOf) ? '' : ' (fractional multipleOf is compared conservatively because of floating-point division)'}`,
      ),
    );
  }
  found.push(...checkFormat(reader, part, noun));
  return found;
}

function multipleImplied(readerMultiple: number, part: WriterPart, integersOnly: boolean): boolean {
  if (integersOnly && readerMultiple === 1) return true;
  return writerSchemas(part).some((w) => {
    const writerMultiple = numberKeyword(w, 'multipleOf');
    if (writerMultiple === undefined) return false;
    if (writerMultiple === readerMultiple) return true;
    // Only whole multiples are trusted: Ajv checks value / multipleOf in floating point.
    return (
      Number.isInteger(readerMultiple) &&
      Number.isInteger(writerMultiple) &&
      writerMultiple % readerMultiple === 0
    );
  });
}
