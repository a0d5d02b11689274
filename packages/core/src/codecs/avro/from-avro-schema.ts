import type { AvroPrimitiveName, AvroSchema } from './avro-schema-types';

/**
 * Which side of the codec a type describes. `'write'`: what `validate` accepts and `encode`
 * takes, where a record field with a `default` may be left out. `'read'`: what `decode` returns,
 * where every field is present.
 */
export type AvroDataMode = 'write' | 'read';

/**
 * The TypeScript type of the values an Avro schema describes, exactly as this package's avsc
 * options read and write them:
 *
 * | Avro | TypeScript |
 * | --- | --- |
 * | `null` | `null` |
 * | `boolean` | `boolean` |
 * | `int`, `long`, `float`, `double` | `number` (`long`: a safe integer at runtime) |
 * | `bytes`, `fixed` | `Buffer` |
 * | `string` | `string` |
 * | `{ type: 'long', logicalType: 'timestamp-millis' }` | `Date` |
 * | any other logical type | its underlying type (`decimal` → `Buffer`, `uuid` → `string`, `date` → `number`) |
 * | record | an object; in `'write'` mode a field with a `default` is optional (`?: T \| undefined`) |
 * | enum | the union of its symbols |
 * | array | `readonly T[]` in `'write'` mode, `T[]` in `'read'` mode |
 * | map | `Record<string, T>` |
 * | union `['null', 'string']` | `string \| null` (unions are never wrapped) |
 * | a name (`'Money'`, `'com.acme.Money'`) | the named type it refers to, resolved by Avro's namespace rules |
 *
 * Where the types stop and runtime checks take over:
 * - a reference back to a record that is still being defined (a recursive type) is `unknown`;
 * - a name that refers to nothing is `never` (and the schema is rejected at runtime);
 * - a schema that is not a literal (typed `AvroSchema`, e.g. parsed from a file) gives `unknown`;
 * - names are resolved wherever they are defined in the schema, while avsc also wants them defined
 *   before use, and rejects duplicate names and ambiguous unions (`['int', 'double']`): all of
 *   these fail when the codec is made, not at compile time;
 * - `number` does not say int (32 bits) from long (±(2^53-2)) or an integer from a fraction, and
 *   `string` does not exclude lone surrogates: `validate` does.
 */
export type FromAvroSchema<TSchema, TMode extends AvroDataMode = 'write'> = AvroSchema extends TSchema
  ? unknown
  : MapSchema<TSchema, CollectNamed<TSchema, ''>, '', never, TMode>;

interface PrimitiveValues {
  null: null;
  boolean: boolean;
  int: number;
  long: number;
  float: number;
  double: number;
  bytes: Buffer;
  string: string;
}

/** A named type found in the schema: its full name, its schema, and the namespace it was defined in. */
interface NamedDefinition {
  readonly fullName: string;
  readonly schema: unknown;
  readonly namespace: string;
}

type LastSegment<TName extends string> = TName extends `${string}.${infer TRest}`
  ? LastSegment<TRest>
  : TName;

/** avsc's implied namespace of a dotted name: everything before the last dot. */
type ImpliedNamespace<TName extends string> = TName extends `${infer THead}.${infer TRest}`
  ? TRest extends `${string}.${string}`
    ? `${THead}.${ImpliedNamespace<TRest>}`
    : THead
  : '';

/** avsc's `qualify`: a dotted name is already full (a leading dot means the null namespace). */
type Qualify<TName extends string, TNamespace extends string> = TName extends `${string}.${string}`
  ? TName extends `.${infer TAbsolute}`
    ? TAbsolute
    : TName
  : TNamespace extends ''
    ? TName
    : `${TNamespace}.${TName}`;

/** The namespace a named type's own name is qualified with. */
type OwnNamespace<TSchema, TNamespace extends string> = TSchema extends {
  readonly namespace: infer TOwn extends string;
}
  ? TOwn
  : TNamespace;

type FullName<TSchema, TName extends string, TNamespace extends string> = Qualify<
  TName,
  OwnNamespace<TSchema, TNamespace>
>;

/** The namespace a record's fields are resolved in (avsc: explicit namespace, else the name's). */
type FieldNamespace<TSchema, TName extends string, TNamespace extends string> = TSchema extends {
  readonly namespace: infer TOwn extends string;
}
  ? TOwn
  : TName extends `${string}.${string}`
    ? ImpliedNamespace<TName>
    : TNamespace;

type FieldTypeOf<TField> = TField extends { readonly type: infer TType } ? TType : never;

/** Every named type (record, enum, fixed) defined anywhere in the schema. */
type CollectNamed<TSchema, TNamespace extends string> = AvroSchema extends TSchema
  ? never
  : TSchema extends string
    ? never
    : TSchema extends readonly unknown[]
      ? CollectNamed<TSchema[number], TNamespace>
      : TSchema extends {
            readonly type: 'record';
            readonly name: infer TName extends string;
            readonly fields: infer TFields extends readonly unknown[];
          }
        ?
            | { fullName: FullName<TSchema, TName, TNamespace>; schema: TSchema; namespace: TNamespace }
            | CollectNamed<FieldTypeOf<TFields[number]>, FieldNamespace<TSchema, TName, TNamespace>>
        : TSchema extends { readonly type: 'enum' | 'fixed'; readonly name: infer TName extends string }
          ? { fullName: FullName<TSchema, TName, TNamespace>; schema: TSchema; namespace: TNamespace }
          : TSchema extends { readonly type: 'array'; readonly items: infer TItems }
            ? CollectNamed<TItems, TNamespace>
            : TSchema extends { readonly type: 'map'; readonly values: infer TValues }
              ? CollectNamed<TValues, TNamespace>
              : never;

/**
 * `TNamed`: the schema's named types; `TNamespace`: the enclosing namespace; `TSeen`: full names of
 * the records being expanded (a reference to one of them is a recursion point).
 */
type MapSchema<
  TSchema,
  TNamed,
  TNamespace extends string,
  TSeen extends string,
  TMode extends AvroDataMode,
> = AvroSchema extends TSchema
  ? unknown
  : TSchema extends string
    ? MapName<TSchema, TNamed, TNamespace, TSeen, TMode>
    : TSchema extends readonly unknown[]
      ? MapSchema<TSchema[number], TNamed, TNamespace, TSeen, TMode>
      : TSchema extends { readonly type: infer TType }
        ? MapObject<TSchema, TType, TNamed, TNamespace, TSeen, TMode>
        : never;

type MapName<
  TName extends string,
  TNamed,
  TNamespace extends string,
  TSeen extends string,
  TMode extends AvroDataMode,
> = string extends TName
  ? unknown
  : LastSegment<TName> extends AvroPrimitiveName
    ? PrimitiveValues[LastSegment<TName>]
    : Qualify<TName, TNamespace> extends infer TFull extends string
      ? TFull extends TSeen
        ? unknown
        : MapDefinition<Extract<TNamed, { fullName: TFull }>, TNamed, TSeen, TMode>
      : never;

type MapDefinition<
  TDefinition,
  TNamed,
  TSeen extends string,
  TMode extends AvroDataMode,
> = TDefinition extends NamedDefinition
  ? MapSchema<TDefinition['schema'], TNamed, TDefinition['namespace'], TSeen, TMode>
  : never;

type MapObject<
  TSchema,
  TType,
  TNamed,
  TNamespace extends string,
  TSeen extends string,
  TMode extends AvroDataMode,
> = TType extends AvroPrimitiveName
  ? TType extends 'long'
    ? TSchema extends { readonly logicalType: 'timestamp-millis' }
      ? Date
      : number
    : PrimitiveValues[TType]
  : TType extends 'record'
    ? MapRecord<TSchema, TNamed, TNamespace, TSeen, TMode>
    : TType extends 'enum'
      ? TSchema extends { readonly symbols: readonly (infer TSymbol)[] }
        ? TSymbol
        : never
      : TType extends 'array'
        ? TSchema extends { readonly items: infer TItems }
          ? TMode extends 'write'
            ? readonly MapSchema<TItems, TNamed, TNamespace, TSeen, TMode>[]
            : MapSchema<TItems, TNamed, TNamespace, TSeen, TMode>[]
          : never
        : TType extends 'map'
          ? TSchema extends { readonly values: infer TValues }
            ? Record<string, MapSchema<TValues, TNamed, TNamespace, TSeen, TMode>>
            : never
          : TType extends 'fixed'
            ? Buffer
            : never;

/** Whether avsc treats a field as having a default: the attribute is there and is not `undefined`. */
type HasDefault<TField> = TField extends { readonly default: infer TDefault }
  ? [TDefault] extends [undefined]
    ? false
    : true
  : false;

type FieldName<TField> = TField extends { readonly name: infer TName extends string } ? TName : never;

type MapRecord<
  TSchema,
  TNamed,
  TNamespace extends string,
  TSeen extends string,
  TMode extends AvroDataMode,
> = TSchema extends {
  readonly name: infer TName extends string;
  readonly fields: infer TFields extends readonly unknown[];
}
  ? FullName<TSchema, TName, TNamespace> extends infer TFull extends string
    ? TFull extends TSeen
      ? unknown
      : RecordValue<TFields[number], TNamed, FieldNamespace<TSchema, TName, TNamespace>, TSeen | TFull, TMode>
    : never
  : never;

type RecordValue<
  TField,
  TNamed,
  TNamespace extends string,
  TSeen extends string,
  TMode extends AvroDataMode,
> = TMode extends 'read'
  ? { [F in TField as FieldName<F>]: MapSchema<FieldTypeOf<F>, TNamed, TNamespace, TSeen, TMode> }
  : Flatten<
      {
        [F in TField as HasDefault<F> extends true ? never : FieldName<F>]: MapSchema<
          FieldTypeOf<F>,
          TNamed,
          TNamespace,
          TSeen,
          TMode
        >;
      } & {
        [F in TField as HasDefault<F> extends true ? FieldName<F> : never]?:
          | MapSchema<FieldTypeOf<F>, TNamed, TNamespace, TSeen, TMode>
          | undefined;
      }
    >;

type Flatten<T> = { [K in keyof T]: T[K] };
