/**
 * A field pointer: a JSON pointer into event data (`/customer/email`), where a `*` segment
 * stands for every item of an array or every value of an object (`/lines/*\/price`).
 */
export type FieldPointer = string;

export interface FieldValue {
  /** The concrete pointer of this value (`/lines/2/price`). */
  readonly path: string;
  readonly value: unknown;
}

function unescapeSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function parseFieldPointer(pointer: FieldPointer): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`field pointer "${pointer}" must start with "/"`);
  return pointer.slice(1).split('/').map(unescapeSegment);
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return (
    typeof value === 'object' && value !== null && !(value instanceof Date) && !(value instanceof Uint8Array)
  );
}

/** Every value a pointer reaches in `data` (none when a step is missing). */
export function resolveField(data: unknown, segments: readonly string[]): FieldValue[] {
  let current: FieldValue[] = [{ path: '', value: data }];
  for (const segment of segments) {
    const next: FieldValue[] = [];
    for (const { path, value } of current) {
      if (!isContainer(value)) continue;
      if (segment === '*') {
        const entries = Array.isArray(value)
          ? value.map((item, index) => [String(index), item] as const)
          : Object.entries(value);
        for (const [key, item] of entries) next.push({ path: `${path}/${escapeSegment(key)}`, value: item });
      } else if (Object.hasOwn(value, segment)) {
        next.push({
          path: `${path}/${escapeSegment(segment)}`,
          value: (value as Record<string, unknown>)[segment],
        });
      }
    }
    current = next;
  }
  return current;
}

/** A copy of `data` where every value the pointer reaches is replaced; the rest is shared. */
export function replaceField(data: unknown, segments: readonly string[], replacement: unknown): unknown {
  const [head, ...rest] = segments;
  if (head === undefined) return replacement;
  if (!isContainer(data)) return data;
  if (Array.isArray(data)) {
    return data.map((item, index) =>
      head === '*' || head === String(index) ? replaceField(item, rest, replacement) : item,
    );
  }
  const copy: Record<string, unknown> = { ...data };
  for (const key of Object.keys(copy)) {
    if (head === '*' || head === key) copy[key] = replaceField(copy[key], rest, replacement);
  }
  return copy;
}
