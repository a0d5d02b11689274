import type { ValidationIssue } from '../errors';

export type PayloadFormat = 'json' | 'avro';

export type ValidationResult<TData> =
  | { readonly ok: true; readonly value: TData }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

export type DecodeResult =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      /** `truncated`: the bytes end too early; `malformed`: they are not this format at all. */
      readonly reason: 'truncated' | 'malformed';
      readonly message: string;
      readonly cause?: unknown;
    };

/**
 * Turns an event's data into bytes and back, for one schema. `TData` is the TypeScript type the
 * schema describes (inferred when the codec is made with `jsonSchema(...)` or `avroSchema(...)`).
 */
export interface PayloadCodec<TData> {
  readonly format: PayloadFormat;
  /** The schema as written: a JSON Schema object or an Avro schema. */
  readonly schema: unknown;
  /** The schema as text, as a schema registry stores it. */
  readonly schemaText: string;
  /** Checks a value against the schema. Never throws; issues name the failing paths. */
  validate(value: unknown): ValidationResult<TData>;
  /** Encodes a value that passed `validate`. */
  encode(value: TData): Buffer;
  /**
   * Optional: encodes straight into the Confluent wire format (magic byte 0, the 4-byte schema
   * id, the payload), saving the copy framing an `encode`d buffer would take.
   */
  encodeFramed?(value: TData, schemaId: number): Buffer;
  /**
   * Decodes bytes written with this schema, or, when `writer` is given, with that other version
   * of it (Avro schema resolution; JSON needs none). Never throws.
   */
  decode(bytes: Buffer, writer?: PayloadCodec<unknown>): DecodeResult;
  /** Phantom member that carries `TData` for inference; never set at runtime. */
  readonly __data?: TData;
}

/** The data type a codec carries. */
export type CodecData<TCodec> = TCodec extends PayloadCodec<infer TData> ? TData : never;

/**
 * The least a type parameter standing for "some codec" is constrained by. Constraining by
 * `PayloadCodec<unknown>` instead makes TypeScript compare inferred schema types structurally,
 * which blows its instantiation depth for realistic JSON Schemas.
 */
export interface SomePayloadCodec {
  readonly format: PayloadFormat;
}
