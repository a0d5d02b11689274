import type { Type } from 'avsc';
import type { ReadIncompatibility } from '../read-compatibility';

/** The kinds of Avro change that stop a reader from reading a writer's data. */
export const AvroIncompatibilityKind = {
  typeChanged: 'TYPE_CHANGED',
  nameChanged: 'NAME_CHANGED',
  fieldAddedWithoutDefault: 'FIELD_ADDED_WITHOUT_DEFAULT',
  enumSymbolRemoved: 'ENUM_SYMBOL_REMOVED',
  fixedSizeChanged: 'FIXED_SIZE_CHANGED',
  unionBranchMissing: 'UNION_BRANCH_MISSING',
  /** avsc refused the pair for a reason the walk above does not name. */
  resolutionFailed: 'AVRO_RESOLUTION_FAILED',
} as const;

// Avro's promotions: what a reader of the key type accepts from a writer of each listed type.
const promotions: Readonly<Record<string, readonly string[]>> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  string: ['bytes'],
  bytes: ['string'],
};

interface AvscType {
  readonly typeName: string;
  readonly name?: string;
  readonly aliases?: readonly string[];
  readonly fields?: readonly AvscField[];
  readonly symbols?: readonly string[];
  readonly itemsType?: AvscType;
  readonly valuesType?: AvscType;
  readonly types?: readonly AvscType[];
  readonly size?: number;
  readonly underlyingType?: AvscType;
  readonly _default?: unknown;
}

interface AvscField {
  readonly name: string;
  readonly type: AvscType;
  readonly aliases?: readonly string[];
  defaultValue(): unknown;
}

function base(type: AvscType): AvscType {
  return type.underlyingType ?? type;
}

function kindOf(type: AvscType): string {
  const name = base(type).typeName;
  return name.startsWith('union') ? 'union' : name;
}

function label(type: AvscType): string {
  const resolved = base(type);
  return resolved.name ?? kindOf(resolved);
}

function namesMatch(reader: AvscType, writer: AvscType): boolean {
  if (reader.name === undefined || writer.name === undefined) return true;
  const short = (name: string) => name.slice(name.lastIndexOf('.') + 1);
  if (reader.name === writer.name) return true;
  return (reader.aliases ?? []).some(
    (alias) => alias === writer.name || short(alias) === short(writer.name as string),
  );
}

/** Would `reader` accept a `writer` value on its own (no recursion into children)? */
function shallowlyReadable(reader: AvscType, writer: AvscType): boolean {
  const readerKind = kindOf(reader);
  const writerKind = kindOf(writer);
  if (readerKind === writerKind) {
    return ['record', 'enum', 'fixed'].includes(readerKind) ? namesMatch(base(reader), base(writer)) : true;
  }
  return promotions[readerKind]?.includes(writerKind) ?? false;
}

function walk(
  reader: AvscType,
  writer: AvscType,
  path: string,
  out: ReadIncompatibility[],
  seen: Set<string>,
): void {
  const visit = `${path}|${label(reader)}|${label(writer)}`;
  if (seen.has(visit)) return;
  seen.add(visit);
  const readerKind = kindOf(reader);
  const writerKind = kindOf(writer);

  if (writerKind === 'union') {
    // Every branch the writer may write must be readable.
    for (const [index, branch] of (base(writer).types ?? []).entries())
      walk(reader, branch, `${path}/${index}`, out, seen);
    return;
  }
  if (readerKind === 'union') {
    const branches = base(reader).types ?? [];
    const match = branches.find((branch) => shallowlyReadable(branch, writer));
    if (match === undefined) {
      out.push({
        path,
        kind: AvroIncompatibilityKind.unionBranchMissing,
        message: `the reader's union (${branches.map(label).join(', ')}) has no branch for the writer's ${label(writer)}`,
      });
      return;
    }
    walk(match, writer, path, out, seen);
    return;
  }
  if (!shallowlyReadable(reader, writer)) {
    const sameKind = readerKind === writerKind;
    out.push({
      path,
      kind: sameKind ? AvroIncompatibilityKind.nameChanged : AvroIncompatibilityKind.typeChanged,
      message: sameKind
        ? `the reader's ${readerKind} is named "${base(reader).name}", the writer's "${base(writer).name}" (and no alias matches)`
        : `the writer writes ${label(writer)}, which the reader's ${label(reader)} cannot read (no Avro promotion)`,
    });
    return;
  }
  const r = base(reader);
  const w = base(writer);
  switch (readerKind) {
    case 'record': {
      const writerFields = new Map((w.fields ?? []).map((field) => [field.name, field]));
      for (const field of r.fields ?? []) {
        const written =
          writerFields.get(field.name) ?? (field.aliases ?? []).map((a) => writerFields.get(a)).find(Boolean);
        const fieldPath = `${path}/fields/${field.name}`;
        if (written !== undefined) walk(field.type, written.type, fieldPath, out, seen);
        else if (field.defaultValue() === undefined) {
          out.push({
            path: fieldPath,
            kind: AvroIncompatibilityKind.fieldAddedWithoutDefault,
            message: `the reader has field "${field.name}" without a default, and the writer does not write it`,
          });
        }
      }
      return;
    }
    case 'enum': {
      const readerSymbols = new Set(r.symbols ?? []);
      const missing = (w.symbols ?? []).filter((symbol) => !readerSymbols.has(symbol));
      if (missing.length > 0 && r._default === undefined) {
        out.push({
          path: `${path}/symbols`,
          kind: AvroIncompatibilityKind.enumSymbolRemoved,
          message: `the writer may write ${missing.map((s) => `"${s}"`).join(', ')}, which the reader's enum ${r.name} lacks (and it has no default symbol)`,
        });
      }
      return;
    }
    case 'fixed':
      if (r.size !== w.size) {
        out.push({
          path: `${path}/size`,
          kind: AvroIncompatibilityKind.fixedSizeChanged,
          message: `the reader's fixed ${r.name} has ${r.size} bytes, the writer's ${w.size}`,
        });
      }
      return;
    case 'array':
      if (r.itemsType && w.itemsType) walk(r.itemsType, w.itemsType, `${path}/items`, out, seen);
      return;
    case 'map':
      if (r.valuesType && w.valuesType) walk(r.valuesType, w.valuesType, `${path}/values`, out, seen);
      return;
    default:
      return;
  }
}

/**
 * Why a reader of `reader` cannot read data written with `writer`. The verdict is avsc's schema
 * resolution (the ground truth); the walk over both schemas only names the reasons, and when it
 * finds none for a pair avsc refuses, avsc's own message is the reason.
 */
export function findAvroReadIncompatibilities(reader: Type, writer: Type): ReadIncompatibility[] {
  let failure: string | undefined;
  try {
    reader.createResolver(writer);
  } catch (cause) {
    failure = cause instanceof Error ? cause.message : String(cause);
  }
  if (failure === undefined) return [];
  const found: ReadIncompatibility[] = [];
  walk(reader as unknown as AvscType, writer as unknown as AvscType, '', found, new Set());
  if (found.length > 0) return found;
  return [
    {
      path: '',
      kind: AvroIncompatibilityKind.resolutionFailed,
      message: `Avro schema resolution fails: ${failure}`,
    },
  ];
}
