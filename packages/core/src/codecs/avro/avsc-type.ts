import type { Schema, Type } from 'avsc';
import avsc from 'avsc';
import { BoundedArrayType, BoundedMapType } from './bounded-collection-types';
import { CheckedIntType, ExactLongType } from './exact-integer-types';
import { TimestampMillisType } from './timestamp-millis-type';
import { WellFormedStringType } from './well-formed-strings';

/**
 * The avsc type for a schema, with the options `FromAvroSchema` describes: plain (unwrapped)
 * unions, `timestamp-millis` as `Date`, records as plain data (no `clone`/`toBuffer` methods on
 * their prototype, so `for...in` and spreading see only fields), longs encoded exactly, and
 * arrays and maps that stop at the end of the bytes. avsc mutates the options it is given, so
 * each call builds new ones.
 */
export function createAvscType(schema: unknown, wrapUnions: 'never' | 'auto' = 'never'): Type {
  return avsc.Type.forSchema(schema as Schema, {
    wrapUnions,
    logicalTypes: { 'timestamp-millis': TimestampMillisType },
    omitRecordMethods: true,
    registry: {},
    typeHook: substituteTypes,
  });
}

/**
 * Swaps in this package's array, map, int, long and string types. It runs before avsc's own
 * logical-type handling, so only `timestamp-millis` on a long is left to avsc (which then builds
 * a TimestampMillisType); every other logical type keeps its underlying type, as the spec allows.
 */
function substituteTypes(schema: Schema, options: unknown): Type | undefined {
  // A name whose last part is a primitive is that primitive (avsc: `com.acme.long` is `long`).
  const primitive = typeof schema === 'string' ? schema.split('.').pop() : undefined;
  if (primitive === 'long') return new ExactLongType();
  if (primitive === 'int') return new CheckedIntType();
  if (primitive === 'string') return new WellFormedStringType();
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const { type, logicalType } = schema as { readonly type?: unknown; readonly logicalType?: unknown };
  if (type === 'array') return new BoundedArrayType(schema, options);
  if (type === 'map') return new BoundedMapType(schema, options);
  if (type === 'int') return new CheckedIntType();
  if (type === 'string') return new WellFormedStringType();
  if (type === 'long' && logicalType !== 'timestamp-millis') return new ExactLongType();
  return undefined;
}

/** The avsc classes' members this package reads, which avsc's own typings leave out or type loosely. */
export interface AvscRecordType extends Type {
  readonly fields: readonly { readonly name: string; readonly type: Type; defaultValue(): unknown }[];
}

export interface AvscUnionType extends Type {
  readonly types: readonly Type[];
}

export function isRecordType(type: Type): type is AvscRecordType {
  return type.typeName === 'record' || type.typeName === 'error';
}

export function isUnionType(type: Type): type is AvscUnionType {
  return type.typeName.startsWith('union:');
}

/** The type a value of this type is checked against: the underlying type of a logical type. */
export function underlyingType(type: Type): Type {
  return type instanceof avsc.types.LogicalType ? type.underlyingType : type;
}

/** The types directly inside this one, each with the step that leads to it, for walking a type tree. */
export function childTypes(type: Type): readonly { readonly step: string; readonly type: Type }[] {
  const base = underlyingType(type);
  if (isRecordType(base)) return base.fields.map((field) => ({ step: `.${field.name}`, type: field.type }));
  if (isUnionType(base)) return base.types.map((branch) => ({ step: '', type: branch }));
  if (base instanceof avsc.types.ArrayType) return [{ step: '[]', type: base.itemsType }];
  if (base instanceof avsc.types.MapType) return [{ step: '{}', type: base.valuesType as Type }];
  return [];
}
