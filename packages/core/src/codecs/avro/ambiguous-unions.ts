import type { Type } from 'avsc';
import { childTypes, isUnionType } from './avsc-type';

/** What kind of JavaScript value each Avro type is, as avsc tells union branches apart. */
const valueKinds: Readonly<Record<string, string>> = {
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  fixed: 'Buffer',
  string: 'string',
  enum: 'string',
  map: 'object',
  record: 'object',
  error: 'object',
  // avsc tries a Date on the timestamp branch and also sorts it with the objects: a map or record
  // branch beside it makes every Date ambiguous (avsc throws "ambiguous conversion" at runtime).
  'logical:timestamp-millis': 'object',
};

function kindOf(type: Type): string {
  return valueKinds[type.typeName] ?? type.typeName;
}

function branchName(type: Type): string {
  return type.name ?? type.typeName.replace(/^logical:/, '');
}

/** The clashes inside one union: `"int" and "double" are both numbers`. */
function clashes(union: Type & { readonly types: readonly Type[] }): string[] {
  const byKind = new Map<string, Type[]>();
  for (const branch of union.types) {
    const kind = kindOf(branch);
    byKind.set(kind, [...(byKind.get(kind) ?? []), branch]);
  }
  return [...byKind]
    .filter(([, branches]) => branches.length > 1)
    .map(([kind, branches]) => {
      const names = branches.map((branch) => `"${branchName(branch)}"`).join(' and ');
      return `${names} are ${branches.length === 2 ? 'both' : 'all'} ${kind}s`;
    });
}

function findAmbiguous(type: Type, path: string, seen: Set<Type>, found: string[]): void {
  if (seen.has(type)) return;
  seen.add(type);
  if (isUnionType(type)) {
    const problems = clashes(type);
    if (problems.length > 0)
      found.push(`the union at ${path === '' ? '(root)' : path}: ${problems.join('; ')}`);
  }
  for (const child of childTypes(type)) {
    const step = child.step === '[]' || child.step === '{}' ? '/*' : child.step.replace(/^\./, '/');
    findAmbiguous(child.type, path + step, seen, found);
  }
}

/**
 * Explains which unions of a type (built with `wrapUnions: 'auto'` when avsc refused it with
 * `'never'`) cannot be told apart as plain values, naming where they are and which branches clash.
 * `undefined` when there are none.
 */
export function describeAmbiguousUnions(type: Type): string | undefined {
  const found: string[] = [];
  findAmbiguous(type, '', new Set(), found);
  if (found.length === 0) return undefined;
  return (
    `ambiguous union: ${found.join('; ')}. Inlet reads and writes Avro unions as plain values ` +
    `(['null', 'string'] is string | null), so a union may hold at most one branch of each kind of ` +
    `value: null, boolean, number (int, long, float, double), string (string, enum), Buffer (bytes, ` +
    `fixed), array, object (map, record, and timestamp-millis: a Date is an object)`
  );
}
