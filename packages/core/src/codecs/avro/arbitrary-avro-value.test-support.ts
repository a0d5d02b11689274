/**
 * Test support (not exported by the package): fast-check arbitraries for the values an Avro schema
 * describes, built from the schema itself, with the value each one decodes to.
 */
import fc from 'fast-check';
import type { AvroSchema } from './avro-schema-types';

/** A value to encode, and what decoding it must give back (defaults filled in for left-out fields). */
export interface AvroSample {
  readonly value: unknown;
  readonly decoded: unknown;
}

export interface AvroArbitraryOptions {
  /** Leave out (or set to `undefined`) some fields that have a default. Default `false`. */
  readonly omitDefaults?: boolean;
  /** Nesting depth after which arrays and maps are empty and unions pick leaf branches. Default 3. */
  readonly maxDepth?: number;
}

type SchemaObject = Readonly<Record<string, unknown>>;

interface NamedType {
  readonly schema: SchemaObject;
  /** The namespace the type was defined in (its own name is qualified against it). */
  readonly namespace: string;
}

interface Scope {
  readonly named: ReadonlyMap<string, NamedType>;
  readonly omitDefaults: boolean;
  readonly maxDepth: number;
}

const primitives = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const maxSafeLong = 9_007_199_254_740_990;

// The name rules below follow avsc's `maybeQualify`, `qualify` and `impliedNamespace`.
function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

function qualify(name: string, namespace: string): string {
  if (name.includes('.')) return name.replace(/^\./, '');
  return namespace === '' ? name : `${namespace}.${name}`;
}

function fullName(schema: SchemaObject, namespace: string): string {
  return qualify(String(schema.name), typeof schema.namespace === 'string' ? schema.namespace : namespace);
}

function fieldNamespace(record: SchemaObject, namespace: string): string {
  if (typeof record.namespace === 'string') return record.namespace;
  const name = String(record.name);
  return name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : namespace;
}

function fieldsOf(record: SchemaObject): readonly SchemaObject[] {
  return record.fields as readonly SchemaObject[];
}

function register(schema: unknown, namespace: string, named: Map<string, NamedType>): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) register(branch, namespace, named);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const object = schema as SchemaObject;
  switch (object.type) {
    case 'record':
      named.set(fullName(object, namespace), { schema: object, namespace });
      for (const field of fieldsOf(object)) register(field.type, fieldNamespace(object, namespace), named);
      return;
    case 'enum':
    case 'fixed':
      named.set(fullName(object, namespace), { schema: object, namespace });
      return;
    case 'array':
      register(object.items, namespace, named);
      return;
    case 'map':
      register(object.values, namespace, named);
      return;
  }
}

/** A schema with names looked up: the primitive name, or the object and the namespace it lives in. */
type Resolved =
  | { readonly kind: 'primitive'; readonly name: string }
  | { readonly kind: 'object'; readonly schema: SchemaObject; readonly namespace: string }
  | { readonly kind: 'union'; readonly branches: readonly unknown[] };

function resolve(schema: unknown, namespace: string, scope: Scope): Resolved {
  if (Array.isArray(schema)) return { kind: 'union', branches: schema };
  if (typeof schema === 'string') {
    if (primitives.has(lastSegment(schema))) return { kind: 'primitive', name: lastSegment(schema) };
    const named = scope.named.get(qualify(schema, namespace));
    if (named === undefined) throw new Error(`undefined type name ${schema}`);
    return { kind: 'object', schema: named.schema, namespace: named.namespace };
  }
  return { kind: 'object', schema: schema as SchemaObject, namespace };
}

function isTimestampMillis(schema: SchemaObject): boolean {
  return schema.type === 'long' && schema.logicalType === 'timestamp-millis';
}

/** The value a field's JSON default decodes to (Avro 1.11 §"Complex types", field defaults). */
function defaultValue(schema: unknown, json: unknown, namespace: string, scope: Scope): unknown {
  const resolved = resolve(schema, namespace, scope);
  if (resolved.kind === 'union') return defaultValue(resolved.branches[0], json, namespace, scope);
  if (resolved.kind === 'primitive')
    return resolved.name === 'bytes' ? Buffer.from(json as string, 'latin1') : json;
  const { schema: object, namespace: inner } = resolved;
  if (isTimestampMillis(object)) return new Date(json as number);
  switch (object.type) {
    case 'bytes':
    case 'fixed':
      return Buffer.from(json as string, 'latin1');
    case 'array':
      return (json as unknown[]).map((item) => defaultValue(object.items, item, inner, scope));
    case 'map':
      return Object.fromEntries(
        Object.entries(json as object).map(([key, item]) => [
          key,
          defaultValue(object.values, item, inner, scope),
        ]),
      );
    case 'record': {
      const fieldsIn = fieldNamespace(object, inner);
      const given = json as Record<string, unknown>;
      return Object.fromEntries(
        fieldsOf(object).map((field) => {
          const fieldJson = given[String(field.name)] ?? field.default;
          return [field.name, defaultValue(field.type, fieldJson, fieldsIn, scope)];
        }),
      );
    }
    default:
      return json;
  }
}

function same(arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<AvroSample> {
  return arbitrary.map((value) => ({ value, decoded: value }));
}

function buffers(minLength: number, maxLength: number): fc.Arbitrary<AvroSample> {
  // Two copies, so a test that mutates one cannot change the expectation.
  return fc
    .uint8Array({ minLength, maxLength })
    .map((bytes) => ({ value: Buffer.from(bytes), decoded: Buffer.from(bytes) }));
}

function primitive(name: string): fc.Arbitrary<AvroSample> {
  switch (name) {
    case 'null':
      return fc.constant({ value: null, decoded: null });
    case 'boolean':
      return same(fc.boolean());
    case 'int':
      return same(fc.integer());
    case 'long':
      return same(fc.oneof(fc.integer(), fc.integer({ min: -maxSafeLong, max: maxSafeLong })));
    case 'float':
      // Values a 32-bit float holds exactly (NaN, ±0 and ±Infinity included).
      return same(fc.float());
    case 'double':
      return same(fc.double());
    case 'bytes':
      return buffers(0, 16);
    case 'string':
      // Well-formed Unicode: a lone surrogate cannot survive UTF-8 (see the codec's tests).
      return same(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })));
    default:
      throw new Error(`not a primitive: ${name}`);
  }
}

const mapKeys = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'a/b', '~0'));

function record(
  schema: SchemaObject,
  namespace: string,
  depth: number,
  scope: Scope,
): fc.Arbitrary<AvroSample> {
  const inner = fieldNamespace(schema, namespace);
  const fields = fieldsOf(schema).map((field) => {
    const name = String(field.name);
    const sample = sampleOf(field.type, inner, depth + 1, scope);
    const canOmit = scope.omitDefaults && field.default !== undefined;
    const presence = canOmit ? fc.constantFrom('present', 'absent', 'undefined') : fc.constant('present');
    return fc.tuple(sample, presence).map(([{ value, decoded }, how]) => ({ name, value, decoded, how }));
  });
  return fc.tuple(...fields).map((entries) => {
    const value: Record<string, unknown> = {};
    const decoded: Record<string, unknown> = {};
    for (const entry of entries) {
      const field = fieldsOf(schema).find((candidate) => candidate.name === entry.name) as SchemaObject;
      if (entry.how === 'present') value[entry.name] = entry.value;
      if (entry.how === 'undefined') value[entry.name] = undefined;
      decoded[entry.name] =
        entry.how === 'present' ? entry.decoded : defaultValue(field.type, field.default, inner, scope);
    }
    return { value, decoded };
  });
}

function isLeaf(schema: unknown, namespace: string, scope: Scope): boolean {
  const resolved = resolve(schema, namespace, scope);
  if (resolved.kind === 'primitive') return true;
  if (resolved.kind === 'union') return false;
  return !['record', 'array', 'map'].includes(String(resolved.schema.type));
}

function sampleOf(schema: unknown, namespace: string, depth: number, scope: Scope): fc.Arbitrary<AvroSample> {
  const resolved = resolve(schema, namespace, scope);
  if (resolved.kind === 'primitive') return primitive(resolved.name);
  if (resolved.kind === 'union') {
    const deep = depth >= scope.maxDepth;
    const leaves = resolved.branches.filter((branch) => isLeaf(branch, namespace, scope));
    const branches = deep && leaves.length > 0 ? leaves : resolved.branches;
    return fc.oneof(...branches.map((branch) => sampleOf(branch, namespace, depth, scope)));
  }
  const object = resolved.schema;
  const inner = resolved.namespace;
  // Deep enough: empty collections, built without their items (a recursive type would never end).
  const deep = depth >= scope.maxDepth;
  if (isTimestampMillis(object)) {
    return fc
      .date({ noInvalidDate: true })
      .map((date) => ({ value: date, decoded: new Date(date.getTime()) }));
  }
  switch (object.type) {
    case 'record':
      return record(object, inner, depth, scope);
    case 'enum':
      return same(fc.constantFrom(...(object.symbols as string[])));
    case 'fixed':
      return buffers(object.size as number, object.size as number);
    case 'array':
      if (deep) return fc.constant({ value: [], decoded: [] });
      return fc.array(sampleOf(object.items, inner, depth + 1, scope), { maxLength: 3 }).map((items) => ({
        value: items.map((item) => item.value),
        decoded: items.map((item) => item.decoded),
      }));
    case 'map':
      if (deep) return fc.constant({ value: {}, decoded: {} });
      return fc
        .array(fc.tuple(mapKeys, sampleOf(object.values, inner, depth + 1, scope)), { maxLength: 3 })
        .map((entries) => ({
          // fromEntries defines own properties, `__proto__` included.
          value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])),
          decoded: Object.fromEntries(entries.map(([key, item]) => [key, item.decoded])),
        }));
    default:
      return primitive(String(object.type));
  }
}

/** Values of `schema`, each with what decoding its encoding must give. */
export function arbitraryAvroValue(
  schema: AvroSchema,
  options: AvroArbitraryOptions = {},
): fc.Arbitrary<AvroSample> {
  const named = new Map<string, NamedType>();
  register(schema, '', named);
  const scope: Scope = {
    named,
    omitDefaults: options.omitDefaults ?? false,
    maxDepth: options.maxDepth ?? 3,
  };
  return sampleOf(schema, '', 0, scope);
}
