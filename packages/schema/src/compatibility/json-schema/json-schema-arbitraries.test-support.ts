import fc from 'fast-check';
import type { JsonSchemaDialect } from './json-schema-document';

type Schema = boolean | Record<string, unknown>;

const DIALECT_URI: Record<JsonSchemaDialect, string | undefined> = {
  'draft-07': undefined,
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

const NAMES = ['a', 'b', 'c'] as const;
const PATTERNS = ['^a', 'b$', '^[a-c]+$'] as const;
const SCALAR_VALUES = [null, true, false, 0, 1, 2, -1, 1.5, '', 'a', 'ab', 'abc', 'b'] as const;

function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined, freq: 2 });
}

function defined(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

const typeName = fc.constantFrom('null', 'boolean', 'integer', 'number', 'string', 'array', 'object');

const stringSchema = fc
  .record({
    minLength: optional(fc.integer({ min: 0, max: 3 })),
    maxLength: optional(fc.integer({ min: 0, max: 4 })),
    pattern: optional(fc.constantFrom(...PATTERNS)),
  })
  .map((keywords) => defined({ type: 'string', ...keywords }));

const numberSchema = fc
  .record({
    type: fc.constantFrom('integer', 'number'),
    minimum: optional(fc.integer({ min: -2, max: 2 })),
    maximum: optional(fc.integer({ min: -1, max: 3 })),
    exclusiveMinimum: optional(fc.constantFrom(-1, 0, 0.5)),
    exclusiveMaximum: optional(fc.constantFrom(2, 3, 2.5)),
    multipleOf: optional(fc.constantFrom(1, 2, 3, 0.5)),
  })
  .map(defined);

const scalarSchema: fc.Arbitrary<Schema> = fc.oneof(
  stringSchema,
  numberSchema,
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: 'null' }),
  fc.constantFrom<Schema>(true, false, {}),
  fc
    .uniqueArray(fc.constantFrom(...SCALAR_VALUES), { minLength: 1, maxLength: 4 })
    .map((values) => ({ enum: values })),
  fc.constantFrom({ enum: [{ a: 1 }, [1], {}, 'a'] }, { const: { a: 'a' } }, { enum: [[], [1, 1], [null]] }),
  fc.constantFrom(...SCALAR_VALUES).map((value) => ({ const: value })),
  fc.uniqueArray(typeName, { minLength: 1, maxLength: 3 }).map((types) => ({ type: types })),
  fc.constantFrom('string', 'integer').map((type) => ({ type, nullable: true })),
);

/** Small schemas of one dialect: objects, arrays, scalars, combinators and `$ref`s to `#/definitions/d`. */
export function schemaArbitrary(dialect: JsonSchemaDialect): fc.Arbitrary<Schema> {
  const { node } = fc.letrec<{ node: Schema }>((tie) => {
    const child = tie('node');
    const object = fc
      .record({
        type: fc.constantFrom('object', undefined),
        properties: fc.dictionary(fc.constantFrom(...NAMES), child, { maxKeys: 3 }),
        required: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 2 }),
        additionalProperties: fc.oneof(
          fc.constant(undefined),
          fc.constant(true),
          fc.constant(false),
          scalarSchema,
        ),
        patternProperties: optional(fc.dictionary(fc.constantFrom('^x', '^a'), scalarSchema, { maxKeys: 1 })),
        minProperties: optional(fc.integer({ min: 0, max: 2 })),
        maxProperties: optional(fc.integer({ min: 0, max: 3 })),
        propertyNames: optional(
          fc.constantFrom({ maxLength: 1 }, { pattern: '^[ab]' }, { enum: ['a', 'b', 'x1'] }),
        ),
        dependencies: optional(
          fc.dictionary(
            fc.constantFrom(...NAMES),
            fc.oneof(
              fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 2 }),
              fc.constantFrom(...NAMES).map((name) => ({ required: [name] })),
              scalarSchema.map((schema) => ({ properties: { a: schema } })),
            ),
            { maxKeys: 1 },
          ),
        ),
      })
      .map(({ required, dependencies, ...rest }) =>
        defined({
          ...rest,
          ...dependencyKeywords(dialect, dependencies),
          required: required.length > 0 ? required : undefined,
        }),
      );
    const array = fc
      .record({
        tuple: optional(fc.array(child, { minLength: 1, maxLength: 2 })),
        items: optional(child),
        minItems: optional(fc.integer({ min: 0, max: 2 })),
        maxItems: optional(fc.integer({ min: 0, max: 3 })),
        uniqueItems: optional(fc.constant(true)),
        contains: optional(scalarSchema),
      })
      .map(({ tuple, items, ...rest }) => {
        const shape =
          tuple === undefined
            ? { items }
            : dialect === '2020-12'
              ? { prefixItems: tuple, items }
              : { items: tuple, additionalItems: items };
        return defined({ type: 'array', ...shape, ...rest });
      });
    const combined = fc
      .record({
        keyword: fc.constantFrom('anyOf', 'oneOf', 'allOf'),
        branches: fc.array(child, { minLength: 1, maxLength: 2 }),
      })
      .map(({ keyword, branches }) => ({ [keyword]: branches }));
    const negated = scalarSchema.map((schema) => ({ not: schema }));
    const conditional = fc
      // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here.
      .record({ if: scalarSchema, then: child, else: optional(child) })
      .map((keywords) => defined(keywords));
    return {
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        { arbitrary: scalarSchema, weight: 4 },
        { arbitrary: object, weight: 3 },
        { arbitrary: array, weight: 2 },
        { arbitrary: combined, weight: 1 },
        { arbitrary: negated, weight: 1 },
        { arbitrary: conditional, weight: 1 },
        { arbitrary: fc.constant({ $ref: '#/definitions/d' }), weight: 1 },
      ),
    };
  });
  return fc.record({ root: node, definition: scalarSchema }).map(({ root, definition }): Schema => {
    const uri = DIALECT_URI[dialect];
    if (typeof root === 'boolean')
      return uri === undefined && !usesReference(root)
        ? root
        : { allOf: [root], ...withRoot(uri, definition) };
    return asParsedJson({ ...root, ...withRoot(uri, definition) }) as Schema;
  });
}

/** Plain JSON as a registry or a consumer would parse it (fast-check builds null-prototype objects). */
function asParsedJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * `dependencies` in draft-07; its 2019-09 split (`dependentRequired`, `dependentSchemas`) in
 * 2020-12, where Ajv's support for the legacy keyword miscompiles next to patternProperties.
 */
function dependencyKeywords(dialect: JsonSchemaDialect, dependencies: Record<string, unknown> | undefined) {
  if (dependencies === undefined) return {};
  if (dialect === 'draft-07') return { dependencies };
  const entries = Object.entries(dependencies);
  const lists = entries.filter(([, value]) => Array.isArray(value));
  const schemas = entries.filter(([, value]) => !Array.isArray(value));
  return defined({
    dependentRequired: lists.length > 0 ? Object.fromEntries(lists) : undefined,
    dependentSchemas: schemas.length > 0 ? Object.fromEntries(schemas) : undefined,
  });
}

function withRoot(uri: string | undefined, definition: Schema): Record<string, unknown> {
  return defined({ $schema: uri, definitions: { d: definition } });
}

function usesReference(schema: unknown): boolean {
  return JSON.stringify(schema).includes('"$ref"');
}

/**
 * Every schema one edit away from `schema`: bounds moved both ways, enum values and required
 * entries added and removed, types widened and narrowed, properties added and removed, content
 * models opened and closed. Pairs of a schema and its edits are where compatibility is decided.
 */
export function editsOf(schema: Schema): Schema[] {
  const edits: Schema[] = [];
  const visit = (node: unknown, replace: (next: unknown) => void) => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) {
        visit(item, (next) => replace(node.map((x, i) => (i === index ? next : x))));
      }
      return;
    }
    const record = node as Record<string, unknown>;
    const set = (key: string, value: unknown) => {
      const next = { ...record };
      if (value === undefined) delete next[key];
      else next[key] = value;
      replace(next);
    };
    for (const [key, value] of Object.entries(record)) {
      if (key === 'enum' || key === 'const' || key === '$schema') continue;
      if (key === 'multipleOf' && typeof value === 'number') {
        set(key, value * 2);
        set(key, value + 1);
        set(key, undefined);
      } else if (typeof value === 'number') {
        set(key, value + 1);
        set(key, value - 1 < 0 && /Length|Items|Properties/.test(key) ? undefined : value - 1);
        set(key, undefined);
      }
      if (typeof value === 'object' && value !== null) visit(value, (next) => set(key, next));
    }
    if (Array.isArray(record.enum)) {
      if (record.enum.length > 1) set('enum', record.enum.slice(1));
      set('enum', [...record.enum, 'zz']);
    }
    if (Array.isArray(record.required)) set('required', record.required.slice(1));
    const names = Object.keys((record.properties as Record<string, unknown> | undefined) ?? {});
    if (record.properties !== undefined || record.type === 'object') {
      const unused = NAMES.find((name) => !names.includes(name));
      if (unused !== undefined) {
        set('properties', { ...(record.properties as object), [unused]: { type: 'string' } });
        const required = (record.required as string[] | undefined) ?? [];
        if (!required.includes(unused)) set('required', [...required, unused]);
      }
      for (const name of names) {
        const { [name]: _, ...rest } = record.properties as Record<string, unknown>;
        set('properties', rest);
      }
      for (const additional of [undefined, false, true, { type: 'string' }])
        set('additionalProperties', additional);
    }
    if (record.type === 'integer') set('type', 'number');
    if (record.type === 'number') set('type', 'integer');
    if (typeof record.type === 'string' && record.type !== 'null') set('type', [record.type, 'null']);
    if (Array.isArray(record.type) && record.type.length > 1) set('type', record.type.slice(1));
    if (record.type === 'string') {
      set('maxLength', 2);
      set('minLength', 1);
    }
    if (record.type === 'array') set('uniqueItems', record.uniqueItems === true ? undefined : true);
  };
  visit(schema, (next) => edits.push(next as Schema));
  return edits;
}

const LETTERS = fc.constantFrom('a', 'b', 'c', 'x', 'é', '😀');

/**
 * Any JSON value, with member names from a small set (fc.jsonValue's names such as "toString"
 * crash Ajv's deep equality, and rarely meet the schemas' names).
 */
function anyJson(maxDepth: number): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(
    fc.constantFrom(...SCALAR_VALUES),
    fc.integer({ min: -5, max: 5 }),
    fc.string({ maxLength: 3 }),
  );
  if (maxDepth <= 0) return scalar;
  const inner = anyJson(maxDepth - 1);
  return fc.oneof(
    { arbitrary: scalar, weight: 3 },
    { arbitrary: fc.array(inner, { maxLength: 3 }), weight: 1 },
    {
      arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x1', 'zz'), inner, { maxKeys: 3 }),
      weight: 1,
    },
  );
}

/**
 * Values shaped by a schema (most of them valid under it, some not), to search for values one
 * schema accepts and the other rejects. Validity is always decided by Ajv, never assumed.
 */
export function valueArbitrary(root: Schema): fc.Arbitrary<unknown> {
  const definitions =
    typeof root === 'object' ? ((root.definitions as Record<string, Schema> | undefined) ?? {}) : {};
  const build = (schema: unknown, depth: number): fc.Arbitrary<unknown> => {
    const anything = anyJson(1);
    if (typeof schema !== 'object' || schema === null || depth > 4) return anything;
    const s = schema as Record<string, unknown>;
    if (s.$ref === '#/definitions/d') return build(definitions.d, depth + 1);
    if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...(s.enum as unknown[]));
    if (Object.hasOwn(s, 'const')) return fc.constant(s.const);
    const options: fc.Arbitrary<unknown>[] = [];
    for (const keyword of ['then', 'else'])
      if (s[keyword] !== undefined) options.push(build(s[keyword], depth + 1));
    for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
      if (Array.isArray(s[keyword]))
        for (const branch of s[keyword] as unknown[]) options.push(build(branch, depth + 1));
    }
    const declared = s.type === undefined ? undefined : Array.isArray(s.type) ? s.type : [s.type];
    const types = declared ?? ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'];
    if (s.nullable === true) options.push(fc.constant(null));
    for (const type of types) options.push(forType(type as string, s, depth));
    return fc.oneof(...options);
  };
  const forType = (type: string, s: Record<string, unknown>, depth: number): fc.Arbitrary<unknown> => {
    const num = (key: string) => (typeof s[key] === 'number' ? (s[key] as number) : undefined);
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
      case 'number': {
        const low = Math.ceil(num('minimum') ?? num('exclusiveMinimum') ?? -4);
        const high = Math.floor(num('maximum') ?? num('exclusiveMaximum') ?? 6);
        const whole = fc.integer({ min: Math.min(low, high), max: Math.max(low, high) });
        return type === 'integer'
          ? whole
          : fc.oneof(
              whole,
              whole.map((n) => n + 0.5),
            );
      }
      case 'string': {
        const minLength = num('minLength') ?? 0;
        return fc
          .array(LETTERS, { minLength, maxLength: Math.max(minLength, num('maxLength') ?? 4) })
          .map((letters) => letters.join(''));
      }
      case 'array': {
        const tuple = (
          Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : []
        ) as unknown[];
        const rest = Array.isArray(s.items)
          ? s.additionalItems
          : s.prefixItems !== undefined
            ? s.items
            : s.items;
        const minItems = num('minItems') ?? 0;
        const maxItems = Math.max(minItems, num('maxItems') ?? 3);
        return fc
          .integer({ min: minItems, max: maxItems })
          .chain((length) =>
            fc.tuple(
              ...Array.from({ length }, (_, index) =>
                index < tuple.length ? build(tuple[index], depth + 1) : build(rest, depth + 1),
              ),
            ),
          );
      }
      default: {
        const properties = (s.properties as Record<string, unknown> | undefined) ?? {};
        const required = new Set((s.required as string[] | undefined) ?? []);
        const members = Object.entries(properties).map(([name, member]) =>
          required.has(name)
            ? build(member, depth + 1).map((value) => [name, value] as const)
            : fc.option(
                build(member, depth + 1).map((value) => [name, value] as const),
                { nil: undefined },
              ),
        );
        const extra = fc.array(
          fc.tuple(fc.constantFrom('a', 'b', 'c', 'x1', 'zz'), build(s.additionalProperties, depth + 1)),
          { maxLength: 2 },
        );
        return fc.tuple(fc.tuple(...members), extra).map(([declared, others]) => {
          const value: Record<string, unknown> = {};
          for (const [name, member] of others) value[name] = member;
          for (const entry of declared) if (entry !== undefined) value[entry[0]] = entry[1];
          return value;
        });
      }
    }
  };
  return fc
    .oneof({ arbitrary: build(root, 0), weight: 4 }, { arbitrary: anyJson(2), weight: 1 })
    .map(asParsedJson);
}
