import type { ReadIncompatibility } from '../read-compatibility';
import { JsonSchemaIncompatibilityKind } from './json-schema-incompatibility-kind';
import { intersectTypes, type JsonType, jsonTypeOf, typeAccepts } from './schema-keywords';
import type { SchemaNode } from './schema-node';
import { expandWriterBranches, type WriterBranch } from './writer-branches';

/** What the writer may write at one place, restricted to some of its types. */
export interface WriterPart {
  readonly branch: WriterBranch;
  readonly types: ReadonlySet<JsonType>;
  readonly values: readonly unknown[] | undefined;
}

export function wholePart(branch: WriterBranch): WriterPart {
  return { branch, types: branch.types, values: branch.values };
}

export function restrictPart(part: WriterPart, types: ReadonlySet<JsonType>): WriterPart {
  const kept = intersectTypes(part.types, types);
  const values = part.values?.filter((value) => typeAccepts(kept, jsonTypeOf(value)));
  return { branch: part.branch, types: kept, values };
}

export function isEmptyPart(part: WriterPart): boolean {
  return part.types.size === 0 || (part.values !== undefined && part.values.length === 0);
}

export type CheckReader = (
  context: ComparisonContext,
  reader: SchemaNode,
  part: WriterPart,
) => ReadIncompatibility[];

/** Work allowed for one comparison before it answers "too complex" (a possible break). */
const MAX_STEPS = 200_000;
/** Values nest at most this deep before the comparison answers "too complex". */
const MAX_DEPTH = 48;

/**
 * State of one comparison: how deep into the value it is, which (reader, writer) pairs are being
 * checked (to close recursive schemas), and how much work it has done.
 */
export class ComparisonContext {
  readonly #checkReader: CheckReader;
  #depth = 0;
  #steps = 0;
  readonly #active = new Map<string, number>();

  constructor(checkReader: CheckReader) {
    this.#checkReader = checkReader;
  }

  get depth(): number {
    return this.#depth;
  }

  /** Counts one step; false once the budget is spent. */
  step(): boolean {
    this.#steps++;
    return this.#steps <= MAX_STEPS && this.#depth <= MAX_DEPTH;
  }

  /**
   * Marks a pair as being checked. Returns `assumed` when the pair is already being checked at a
   * shallower value depth: recursion that went through a smaller part of the value may assume
   * the pair holds (induction on the value's depth). Returns `cycle` when it recurs without
   * descending, which cannot be decided that way.
   */
  enter(key: string): 'entered' | 'assumed' | 'cycle' {
    const enteredAt = this.#active.get(key);
    if (enteredAt !== undefined) return enteredAt < this.#depth ? 'assumed' : 'cycle';
    this.#active.set(key, this.#depth);
    return 'entered';
  }

  leave(key: string): void {
    this.#active.delete(key);
  }

  checkReader(reader: SchemaNode, part: WriterPart): ReadIncompatibility[] {
    return this.#checkReader(this, reader, part);
  }

  /**
   * Every reason the conjunction of `readers` may reject a value the conjunction of `writers`
   * allows. `descend` marks a step into a member or item of the value.
   */
  compare(
    readers: readonly SchemaNode[],
    writers: readonly SchemaNode[],
    descend: boolean,
  ): ReadIncompatibility[] {
    if (descend) this.#depth++;
    try {
      const found: ReadIncompatibility[] = [];
      for (const branch of expandWriterBranches(writers)) {
        for (const reader of readers) found.push(...this.#checkReader(this, reader, wholePart(branch)));
      }
      return dedupe(found);
    } finally {
      if (descend) this.#depth--;
    }
  }

  /** Whether `compare` finds nothing; stops at the first reason. */
  covers(readers: readonly SchemaNode[], writers: readonly SchemaNode[], descend: boolean): boolean {
    return this.compare(readers, writers, descend).length === 0;
  }
}

export function dedupe(found: readonly ReadIncompatibility[]): ReadIncompatibility[] {
  const seen = new Set<string>();
  return found.filter((item) => {
    const key = `${item.path}\u0000${item.kind}\u0000${item.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function incompatibility(
  path: string,
  kind: JsonSchemaIncompatibilityKind,
  message: string,
): ReadIncompatibility {
  return { path, kind, message };
}

/** One or two nested reasons, for messages that summarise a nested comparison. */
export function summarize(found: readonly ReadIncompatibility[]): string {
  const shown = found.slice(0, 2).map((item) => `${item.message} (at ${item.path || '/'})`);
  return found.length > 2 ? `${shown.join('; ')}; and ${found.length - 2} more` : shown.join('; ');
}

export const Kind = JsonSchemaIncompatibilityKind;
