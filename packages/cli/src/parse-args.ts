import { UsageError } from './usage-error';

export type FlagType = 'string' | 'number' | 'boolean' | 'strings';

export interface FlagSpec {
  readonly type: FlagType;
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<T extends FlagType> = T extends 'string'
  ? string
  : T extends 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : string[];

export type ParsedFlags<S extends FlagSpecs> = { -readonly [K in keyof S]?: FlagValue<S[K]['type']> };

export interface ParsedArgs<S extends FlagSpecs> {
  readonly flags: ParsedFlags<S>;
  readonly positionals: readonly string[];
}

/** Edit distance, for "did you mean" on a mistyped flag or command. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest of `candidates` to `word`, when close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function unknownFlag(flag: string, specs: FlagSpecs): UsageError {
  const suggestion = closest(flag.replace(/^-+/, ''), Object.keys(specs));
  return new UsageError(
    `unknown flag ${flag}${suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`}`,
  );
}

function convert(name: string, type: FlagType, text: string): string | number {
  if (type !== 'number') return text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`--${name} expects a number, got "${text}"`);
  return value;
}

/**
 * A small, strict parser: `--name value`, `--name=value`, `-x value`, boolean `--name` (and
 * `--no-name`), `--` ends flags. Unknown flags, missing values and values of the wrong type are
 * usage errors naming the flag.
 */
export function parseArgs<S extends FlagSpecs>(args: readonly string[], specs: S): ParsedArgs<S> {
  const flags: Record<string, unknown> = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, spec]) => (spec.short === undefined ? [] : [[spec.short, name]])),
  );
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const written = equals === -1 ? arg : arg.slice(0, equals);
    let name: string | undefined;
    if (written.startsWith('--')) name = written.slice(2);
    else if (written.length === 2) name = byShort.get(written.slice(1));
    let spec = name === undefined ? undefined : specs[name];
    let negated = false;
    if (spec === undefined && name?.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      spec = specs[name];
      negated = true;
    }
    if (name === undefined || spec === undefined) throw unknownFlag(written, specs);
    if (spec.type === 'boolean') {
      if (equals !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = !negated;
      continue;
    }
    let text: string | undefined;
    if (equals !== -1) text = arg.slice(equals + 1);
    else {
      text = args[index + 1];
      if (text === undefined || (text.startsWith('-') && text.length > 1 && Number.isNaN(Number(text))))
        throw new UsageError(`--${name} needs a value`);
      index += 1;
    }
    const value = convert(name, spec.type, text);
    if (spec.type === 'strings') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { flags: flags as ParsedFlags<S>, positionals };
}
