import type { Type } from 'avsc';
import { InletError, InletErrorCode, InletValidationError, type ValidationIssue } from '../../errors';
import type { DecodeResult, PayloadCodec, ValidationResult } from '../payload-codec';
import { describeAmbiguousUnions } from './ambiguous-unions';
import type { AvroSchema } from './avro-schema-types';
import { createAvscType } from './avsc-type';
import { AvroTruncatedError } from './bounded-collection-types';
import type { FromAvroSchema } from './from-avro-schema';
import { collectIssues, describeFound } from './validation-issues';

// Encoding is synchronous, so one scratch buffer serves every codec.
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

export interface AvroSchemaOptions {
  /**
   * Accept objects with properties their record does not declare; `encode` then drops them.
   * Default `false`: each one is a validation issue, which also catches a misspelt field that
   * has a default (otherwise the default would be written in silence).
   */
  readonly allowUndeclaredFields?: boolean;
}

/** `decode`'s result, with the value typed as the schema reads it. */
export type AvroDecodeResult<TDecoded> =
  | { readonly ok: true; readonly value: TDecoded }
  | Extract<DecodeResult, { readonly ok: false }>;

/**
 * A codec for one Avro schema (binary encoding, no container or registry framing).
 *
 * `TData` is what `validate` accepts and `encode` takes; `TDecoded` is what `decode` returns. They
 * differ only in fields with a `default` (optional in `TData`, always present once decoded) and in
 * arrays (`readonly` in `TData`).
 */
export interface AvroCodec<TData, TDecoded = TData> extends PayloadCodec<TData> {
  readonly format: 'avro';
  /** A deep-frozen copy of the schema as given. */
  readonly schema: AvroSchema;
  /**
   * The schema as given, as compact JSON (`JSON.stringify`), not avsc's canonical form: a
   * registry stores what it is sent, and the canonical form drops what readers need (field
   * defaults, logical types, aliases, doc).
   */
  readonly schemaText: string;
  encodeFramed(value: TData, schemaId: number): Buffer;
  /**
   * Decodes bytes written with this schema or, given `writer` (another Avro codec, e.g. an older
   * version), bytes written with the writer's schema, resolved into this one: fields this schema
   * added get their defaults, fields it removed are skipped. Never throws.
   */
  decode(bytes: Buffer, writer?: PayloadCodec<unknown>): AvroDecodeResult<TDecoded>;
}

/** Whether data written with one schema can be read with another. */
export type AvroCompatibility = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type Resolver = ReturnType<Type['createResolver']>;

type Resolution =
  | { readonly ok: true; readonly resolver: Resolver }
  | { readonly ok: false; readonly reason: string };

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const nested of Object.values(value)) deepFreeze(nested);
    Object.freeze(value);
  }
  return value;
}

/** The schema as JSON text and a frozen copy parsed back from it, so the two cannot disagree. */
function snapshot(schema: unknown): { readonly text: string; readonly copy: AvroSchema } {
  let text: string | undefined;
  try {
    text = JSON.stringify(schema);
  } catch (cause) {
    const message = `invalid Avro schema: not JSON (${messageOf(cause)})`;
    throw new InletError(InletErrorCode.schemaInvalid, message, { cause });
  }
  if (text === undefined) {
    throw new InletError(InletErrorCode.schemaInvalid, `invalid Avro schema: got ${describeFound(schema)}`);
  }
  return { text, copy: deepFreeze(JSON.parse(text) as AvroSchema) };
}

function unusable(explanation: string, cause?: unknown): InletError {
  // Valid Avro, but not a definition Inlet can type: its values could not be told apart.
  const message = `Avro schema not usable: ${explanation}`;
  return new InletError(InletErrorCode.invalidDefinition, message, { cause });
}

function compile(schema: AvroSchema): Type {
  let type: Type;
  try {
    type = createAvscType(schema);
  } catch (cause) {
    const message = messageOf(cause);
    if (!message.startsWith('ambiguous unwrapped union')) {
      throw new InletError(InletErrorCode.schemaInvalid, `invalid Avro schema: ${message}`, { cause });
    }
    let explained: string | undefined;
    try {
      // With `auto`, avsc wraps the ambiguous unions instead of refusing them, so they can be found.
      explained = describeAmbiguousUnions(createAvscType(schema, 'auto'));
    } catch {
      explained = undefined;
    }
    throw unusable(explained ?? message, cause);
  }
  // avsc accepts a Date branch beside a map or record branch, then cannot write a Date.
  const explained = describeAmbiguousUnions(type);
  if (explained !== undefined) throw unusable(explained);
  return type;
}

function checkOptions(options: unknown): AvroSchemaOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new InletError(
      InletErrorCode.invalidOption,
      `avroSchema options must be an object, got ${describeFound(options)}`,
    );
  }
  const { allowUndeclaredFields } = options as Record<string, unknown>;
  if (allowUndeclaredFields !== undefined && typeof allowUndeclaredFields !== 'boolean') {
    throw new InletError(
      InletErrorCode.invalidOption,
      `avroSchema option allowUndeclaredFields must be a boolean, got ${describeFound(allowUndeclaredFields)}`,
    );
  }
  return options as AvroSchemaOptions;
}

function truncated(length: number): AvroDecodeResult<never> {
  return { ok: false, reason: 'truncated', message: `the ${length} bytes end before the Avro value does` };
}

class AvscAvroCodec<TData, TDecoded> implements AvroCodec<TData, TDecoded> {
  readonly format = 'avro' as const;
  readonly schema: AvroSchema;
  readonly schemaText: string;
  readonly #type: Type;
  readonly #strictFields: boolean;
  /** Resolvers are costly to build and immutable: one per writer codec, for the codec's lifetime. */
  readonly #resolutions = new WeakMap<object, Resolution>();

  constructor(schema: unknown, options: unknown) {
    const { allowUndeclaredFields = false } = checkOptions(options);
    const { text, copy } = snapshot(schema);
    this.schema = copy;
    this.schemaText = text;
    this.#strictFields = !allowUndeclaredFields;
    this.#type = compile(copy);
  }

  validate(value: unknown): ValidationResult<TData> {
    try {
      if (this.#type.isValid(value, { noUndeclaredFields: this.#strictFields })) {
        return { ok: true, value: value as TData };
      }
      const issues: ValidationIssue[] = [];
      collectIssues(this.#type, value, this.#strictFields, [], issues);
      return {
        ok: false,
        issues: issues.length > 0 ? issues : [{ path: '', message: 'does not match the schema' }],
      };
    } catch (cause) {
      // A getter or proxy that throws while being read.
      return { ok: false, issues: [{ path: '', message: `could not be checked: ${messageOf(cause)}` }] };
    }
  }

  /**
   * Encodes a value that passed `validate` (Inlet always validates first, so this does not check
   * again: it is the hot path of every send). A value avsc cannot write at all throws
   * INLET_VALIDATION_FAILED with the issues `validate` gives; other invalid values (undeclared
   * fields, lone surrogates) are not detected here.
   */
  encode(value: TData): Buffer {
    return this.#encodeCopy(value, 0);
  }

  /** Encodes past a 5-byte registry header, and writes the header. */
  encodeFramed(value: TData, schemaId: number): Buffer {
    const framed = this.#encodeCopy(value, 5);
    framed[0] = 0;
    framed.writeUInt32BE(schemaId, 1);
    return framed;
  }

  // avsc's toBuffer gives every value an ArrayBuffer of its own, and a producer holds thousands
  // of them until their batch is acknowledged: the young-generation collector then spent more
  // time on them than encoding took. So values are written into one scratch buffer and copied
  // into Node's pooled allocation, where many small buffers share one ArrayBuffer.
  #encodeCopy(value: TData, offset: number): Buffer {
    let end = this.#encodeAt(value, scratch, offset);
    if (end < 0) {
      scratch = Buffer.allocUnsafeSlow(Math.max(scratch.length * 2, scratch.length - end));
      end = this.#encodeAt(value, scratch, offset);
    }
    const bytes = Buffer.allocUnsafe(end);
    scratch.copy(bytes, offset, offset, end);
    return bytes;
  }

  // avsc returns the position after the value, or a negative number when the buffer is too small.
  #encodeAt(value: TData, buffer: Buffer, offset: number): number {
    try {
      return this.#type.encode(value, buffer, offset);
    } catch (cause) {
      const checked = this.validate(value);
      const issues = checked.ok ? [{ path: '', message: messageOf(cause) }] : checked.issues;
      throw new InletValidationError(InletErrorCode.validationFailed, undefined, issues, { cause });
    }
  }

  decode(bytes: Buffer, writer?: PayloadCodec<unknown>): AvroDecodeResult<TDecoded> {
    let resolver: Resolver | undefined;
    if (writer !== undefined && writer !== this) {
      const resolution = this.#resolve(writer);
      if (!resolution.ok) return { ok: false, reason: 'malformed', message: resolution.reason };
      resolver = resolution.resolver;
    }
    // Typed as a Buffer, but JavaScript callers may hand over anything.
    const input: unknown = bytes;
    if (!(input instanceof Uint8Array)) {
      return {
        ok: false,
        reason: 'malformed',
        message: `expected bytes (a Buffer), got ${describeFound(input)}`,
      };
    }
    const buffer = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    try {
      const { value, offset } = this.#type.decode(buffer, 0, resolver);
      if (offset < 0) return truncated(buffer.length);
      if (offset < buffer.length) {
        return {
          ok: false,
          reason: 'malformed',
          message: `${buffer.length - offset} of ${buffer.length} bytes are left over after the Avro value`,
        };
      }
      return { ok: true, value: value as TDecoded };
    } catch (cause) {
      if (cause instanceof AvroTruncatedError) return truncated(buffer.length);
      return {
        ok: false,
        reason: 'malformed',
        message: `not Avro data of this schema: ${messageOf(cause)}`,
        cause,
      };
    }
  }

  #resolve(writer: unknown): Resolution {
    if (!AvscAvroCodec.#isCodec(writer)) {
      return { ok: false, reason: 'the writer is not a codec made by avroSchema()' };
    }
    let resolution = this.#resolutions.get(writer);
    if (resolution === undefined) {
      try {
        resolution = { ok: true, resolver: this.#type.createResolver(writer.#type) };
      } catch (cause) {
        resolution = {
          ok: false,
          reason: `data written with the writer schema cannot be read: ${messageOf(cause)}`,
        };
      }
      this.#resolutions.set(writer, resolution);
    }
    return resolution;
  }

  static #isCodec(value: unknown): value is AvscAvroCodec<unknown, unknown> {
    return typeof value === 'object' && value !== null && #type in value;
  }

  static compatibility(reader: unknown, writer: unknown): AvroCompatibility {
    if (!AvscAvroCodec.#isCodec(reader))
      return { ok: false, reason: 'the reader is not a codec made by avroSchema()' };
    const resolution = reader.#resolve(writer);
    return resolution.ok ? { ok: true } : { ok: false, reason: resolution.reason };
  }
}

/**
 * A codec for data described by an Avro schema; the data's TypeScript type is inferred from the
 * schema literal (no `as const` needed), see {@link FromAvroSchema} for the mapping.
 *
 * Throws INLET_SCHEMA_INVALID for a schema that is not valid Avro (avsc's message, and its error as
 * `cause`), and INLET_INVALID_DEFINITION for a valid one Inlet cannot type: a union with two
 * branches of the same kind of value (`['int', 'double']`, `['string', SomeEnum]`), since unions are
 * plain values here.
 *
 * ```ts
 * const orderPlaced = avroSchema({
 *   type: 'record',
 *   name: 'OrderPlaced',
 *   namespace: 'com.acme.orders',
 *   fields: [
 *     { name: 'orderId', type: 'string' },
 *     { name: 'total', type: 'double' },
 *     { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
 *     { name: 'coupon', type: ['null', 'string'], default: null },
 *   ],
 * });
 * // CodecData<typeof orderPlaced> is
 * // { orderId: string; total: number; placedAt: Date; coupon?: string | null | undefined }
 * ```
 */
export function avroSchema<const TSchema extends AvroSchema>(
  schema: TSchema,
  options?: AvroSchemaOptions,
): AvroCodec<FromAvroSchema<TSchema>, FromAvroSchema<TSchema, 'read'>> {
  return new AvscAvroCodec(schema, options);
}

/**
 * Why `avroSchemaOf<TData>()` refused a schema: the type it infers does not match `TData`.
 * Shown by the compiler as the missing property.
 */
export interface AvroSchemaMismatch<TData, TInferred> {
  readonly 'the Avro schema does not describe the given type': {
    readonly given: TData;
    readonly inferred: TInferred;
  };
}

/**
 * `TData` must be writable with the schema (assignable to what it infers for writing) and hold
 * everything it decodes (what it infers for reading is assignable to `TData`). A schema that is
 * not a literal cannot be checked, and is taken at its word.
 */
export type AvroSchemaDescribes<TSchema, TData> =
  unknown extends FromAvroSchema<TSchema>
    ? unknown
    : [TData] extends [FromAvroSchema<TSchema>]
      ? [FromAvroSchema<TSchema, 'read'>] extends [TData]
        ? unknown
        : AvroSchemaMismatch<TData, FromAvroSchema<TSchema, 'read'>>
      : AvroSchemaMismatch<TData, FromAvroSchema<TSchema>>;

/**
 * The same codec typed with a type you already have: `avroSchemaOf<Order>()(schema)`.
 *
 * A schema literal is checked against `Order` at compile time (see {@link AvroSchemaDescribes});
 * a schema typed `AvroSchema` (e.g. `JSON.parse` of an `.avsc` file) is not, and `Order` is then
 * only as true as the file. It is a function returning a function because TypeScript cannot take
 * one type argument explicitly (`Order`) and infer the other (the schema literal).
 */
export function avroSchemaOf<TData>(): <const TSchema extends AvroSchema>(
  schema: TSchema & AvroSchemaDescribes<TSchema, TData>,
  options?: AvroSchemaOptions,
) => AvroCodec<TData> {
  return (schema, options) => new AvscAvroCodec<TData, TData>(schema, options);
}

/**
 * Whether data written with `writer`'s schema can be read with `reader`'s, by Avro schema
 * resolution (avsc's resolver: promotions such as int → long, new fields need defaults, enum
 * symbols the reader lacks need an enum default, named types match by full name or alias).
 */
export function canRead(reader: AvroCodec<unknown>, writer: AvroCodec<unknown>): AvroCompatibility {
  return AvscAvroCodec.compatibility(reader, writer);
}
