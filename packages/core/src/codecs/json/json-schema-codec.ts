import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv from 'ajv';
import Ajv2019 from 'ajv/dist/2019.js';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { InletError, InletErrorCode, type ValidationIssue } from '../../errors';
import type { DecodeResult, PayloadCodec, ValidationResult } from '../payload-codec';

export type { JSONSchema } from 'json-schema-to-ts';

/** A codec for data described by a JSON Schema (draft-07 by default; 2019-09 and 2020-12 by `$schema`). */
export interface JsonSchemaCodec<TData> extends PayloadCodec<TData> {
  readonly format: 'json';
  readonly schema: JSONSchema;
  encodeFramed(value: TData, schemaId: number): Buffer;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function makeAjv(schema: JSONSchema) {
  const dialect = typeof schema === 'object' ? (schema.$schema ?? '') : '';
  // Schemas written for other tools carry their own annotations (x-*, title...): keep strict
  // checks for the schema's meaning, not for unknown keywords.
  const options = { allErrors: true, strict: false, allowUnionTypes: true, validateFormats: true } as const;
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(options)
    : dialect.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

function toIssue(error: ErrorObject): ValidationIssue {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { path: `${error.instancePath}/${params.missingProperty}`, message: 'is required but missing' };
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return {
      path: `${error.instancePath}/${params.additionalProperty}`,
      message: 'is not allowed by the schema',
    };
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return {
      path: error.instancePath,
      message: `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`,
    };
  }
  return { path: error.instancePath, message: error.message ?? `fails "${error.keyword}"` };
}

const draft07 = 'http://json-schema.org/draft-07/schema#';

// The text a registry stores names its dialect: a schema without `$schema` is draft-07 for Ajv
// and for Confluent's JSON Schema provider alike, and some registries (Apicurio) cannot tell a
// dialect-less schema such as {"type": "object"} from other formats at all.
function registryText(schema: JSONSchema): string {
  if (typeof schema === 'object' && schema.$schema === undefined)
    return JSON.stringify({ $schema: draft07, ...schema });
  return JSON.stringify(schema);
}

class AjvJsonSchemaCodec<TData> implements JsonSchemaCodec<TData> {
  readonly format = 'json' as const;
  readonly schemaText: string;
  readonly #validate: ValidateFunction;

  constructor(readonly schema: JSONSchema) {
    this.schemaText = registryText(schema);
    try {
      this.#validate = makeAjv(schema).compile(schema as object);
    } catch (cause) {
      throw new InletError(
        InletErrorCode.schemaInvalid,
        `invalid JSON Schema: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }

  validate(value: unknown): ValidationResult<TData> {
    if (this.#validate(value)) return { ok: true, value: value as TData };
    return { ok: false, issues: (this.#validate.errors ?? []).map(toIssue) };
  }

  encode(value: TData): Buffer {
    return Buffer.from(JSON.stringify(value), 'utf8');
  }

  encodeFramed(value: TData, schemaId: number): Buffer {
    const text = JSON.stringify(value);
    const framed = Buffer.allocUnsafe(5 + Buffer.byteLength(text, 'utf8'));
    framed[0] = 0;
    framed.writeUInt32BE(schemaId, 1);
    framed.write(text, 5, 'utf8');
    return framed;
  }

  decode(bytes: Buffer): DecodeResult {
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch (cause) {
      return { ok: false, reason: 'malformed', message: 'payload is not valid UTF-8', cause };
    }
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (cause) {
      const reason = text.trim().length === 0 ? 'truncated' : 'malformed';
      return {
        ok: false,
        reason,
        message: `payload is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      };
    }
  }
}

/**
 * A codec for data described by a JSON Schema; the data's TypeScript type is inferred from the
 * schema literal (no `as const` needed). Throws INLET_SCHEMA_INVALID for a schema Ajv rejects.
 *
 * ```ts
 * const order = jsonSchema({
 *   type: 'object',
 *   properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
 *   required: ['orderId', 'amount'],
 *   additionalProperties: false,
 * });
 * // CodecData<typeof order> is { orderId: string; amount: number }
 * ```
 */
export function jsonSchema<const TSchema extends JSONSchema>(
  schema: TSchema,
): JsonSchemaCodec<FromSchema<TSchema>> {
  return new AjvJsonSchemaCodec<FromSchema<TSchema>>(schema);
}

/**
 * The same codec for a schema whose type is written by hand (for example a schema loaded from a
 * file): `jsonSchemaOf<Order>()(schemaObject)`.
 */
export function jsonSchemaOf<TData>(): (schema: JSONSchema) => JsonSchemaCodec<TData> {
  return (schema) => new AjvJsonSchemaCodec<TData>(schema);
}
