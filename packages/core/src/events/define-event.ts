import type { CodecData, PayloadCodec, SomePayloadCodec, ValidationResult } from '../codecs/payload-codec';
import { InletError, InletErrorCode, InletValidationError, type ValidationIssue } from '../errors';
import { checkEntityKey, type EntityKey } from './entity-key';
import { type EventTimeInput, type EventTimeLimits, toEventTime } from './event-time';

/**
 * Rules beyond the schema that data must keep before it may be sent (a data contract), and how
 * to make a copy safe to log or dead-letter. `@inlet/schema`'s `withContract` builds one.
 */
export interface EventContract<TData> {
  /** What in valid data breaks the contract; empty when it keeps it. Paths name fields or rules. */
  violations(data: TData): readonly ValidationIssue[];
  /** A copy of the data with fields the contract protects redacted, for logs and dead letters. */
  redact(data: TData): unknown;
}

/** What `defineEvent` takes: everything needed to emit and read one version of one event type. */
export interface EventDefinitionInput<TType extends string, TCodec extends SomePayloadCodec> {
  /** The event type, e.g. `order.placed` (CloudEvents `type`). Letters, digits and `._:-`. */
  readonly type: TType;
  /** The schema version of this definition: a positive integer, one per schema change. */
  readonly version: number;
  /** The payload's schema: `jsonSchema({...})` or `avroSchema({...})`. */
  readonly schema: TCodec;
  /** The entity whose events must stay in order (an order id): a non-empty string or bytes. */
  readonly key: (data: CodecData<TCodec>) => EntityKey;
  /** When the event happened (not when it was sent): a Date, epoch ms or RFC 3339 string. */
  readonly eventTime: (data: CodecData<TCodec>) => EventTimeInput;
  /** Optional monotonically increasing version of the entity, for ordering and staleness checks. */
  readonly entityVersion?: (data: CodecData<TCodec>) => number;
  /** Bounds for believable event times. */
  readonly eventTimeLimits?: EventTimeLimits;
  /** Rules beyond the schema, checked before sending (INLET_CONTRACT_VIOLATION). */
  readonly contract?: EventContract<CodecData<TCodec>>;
  readonly description?: string;
}

/** One version of one event type, defined once and shared by producers and consumers. */
export interface EventDefinition<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly version: number;
  readonly codec: PayloadCodec<TData>;
  readonly description: string | undefined;
  readonly eventTimeLimits: EventTimeLimits;
  /** The data contract, when the definition has one. */
  readonly contract: EventContract<TData> | undefined;
  /** The same definition with a data contract attached. */
  withContract(contract: EventContract<TData>): EventDefinition<TType, TData>;
  /** Checks data against the schema; throws INLET_VALIDATION_FAILED naming each failing path. */
  parse(data: unknown): TData;
  /** The same check without throwing. */
  check(data: unknown): ValidationResult<TData>;
  /** The entity key of valid data, checked (INLET_INVALID_KEY). */
  keyOf(data: TData): EntityKey;
  /** The event time of valid data, checked (INLET_INVALID_EVENT_TIME). */
  eventTimeOf(data: TData, now?: number): Date;
  /** The entity version of valid data, when the definition has one. */
  entityVersionOf(data: TData): number | undefined;
  /** Phantom member carrying the data type for inference; never set at runtime. */
  readonly __data?: TData;
}

/** The data type of an event definition. */
export type EventData<TDefinition> = TDefinition extends EventDefinition<string, infer TData> ? TData : never;

/** The type name of an event definition. */
export type EventType<TDefinition> =
  TDefinition extends EventDefinition<infer TType, unknown> ? TType : never;

const typePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/;

function invalidDefinition(message: string): InletError {
  return new InletError(InletErrorCode.invalidDefinition, message);
}

/**
 * Defines one version of one event type: the schema is written once, and the TypeScript type,
 * runtime validation and encoding all follow from it.
 *
 * ```ts
 * const OrderPlaced = defineEvent({
 *   type: 'order.placed',
 *   version: 1,
 *   schema: jsonSchema({
 *     type: 'object',
 *     properties: { orderId: { type: 'string' }, total: { type: 'number' }, placedAt: { type: 'string' } },
 *     required: ['orderId', 'total', 'placedAt'],
 *     additionalProperties: false,
 *   }),
 *   key: (order) => order.orderId,
 *   eventTime: (order) => order.placedAt,
 * });
 * type OrderPlaced = EventData<typeof OrderPlaced>; // { orderId: string; total: number; placedAt: string }
 * ```
 */
// The codec, not its data type, is the type parameter (see SomePayloadCodec for why).
export function defineEvent<const TType extends string, TCodec extends SomePayloadCodec>(
  input: EventDefinitionInput<TType, TCodec>,
): EventDefinition<TType, CodecData<TCodec>> {
  type TData = CodecData<TCodec>;
  if (typeof input.type !== 'string' || !typePattern.test(input.type)) {
    throw invalidDefinition(`event type ${JSON.stringify(input.type)} must match ${typePattern}`);
  }
  if (!Number.isSafeInteger(input.version) || input.version < 1) {
    throw invalidDefinition(
      `event "${input.type}": version must be a positive integer, got ${input.version}`,
    );
  }
  if (typeof (input.schema as Partial<PayloadCodec<unknown>> | undefined)?.validate !== 'function') {
    throw invalidDefinition(
      `event "${input.type}": schema must be made with jsonSchema(...) or avroSchema(...)`,
    );
  }
  for (const name of ['key', 'eventTime'] as const) {
    if (typeof input[name] !== 'function') {
      throw invalidDefinition(`event "${input.type}": ${name} must be a function of the event data`);
    }
  }
  const { type, version } = input;
  const codec = input.schema as unknown as PayloadCodec<TData>;
  const eventTimeLimits = input.eventTimeLimits ?? {};

  function extract<T>(what: string, code: InletErrorCode, extractor: () => T): T {
    try {
      return extractor();
    } catch (cause) {
      if (InletError.is(cause)) throw cause;
      throw new InletValidationError(
        code,
        type,
        [
          {
            path: `(${what})`,
            message: `the ${what} function threw: ${cause instanceof Error ? cause.message : cause}`,
          },
        ],
        { cause },
      );
    }
  }

  return Object.freeze({
    type,
    version,
    codec,
    description: input.description,
    eventTimeLimits,
    contract: input.contract,
    withContract: (contract: EventContract<TData>) => defineEvent({ ...input, contract }),
    parse(data: unknown): TData {
      const result = codec.validate(data);
      if (!result.ok) throw new InletValidationError(InletErrorCode.validationFailed, type, result.issues);
      return result.value;
    },
    check: (data: unknown) => codec.validate(data),
    keyOf(data: TData): EntityKey {
      const key = extract('key', InletErrorCode.invalidKey, () => input.key(data));
      checkEntityKey(key, type);
      return key;
    },
    eventTimeOf(data: TData, now?: number): Date {
      const raw = extract('event time', InletErrorCode.invalidEventTime, () => input.eventTime(data));
      return toEventTime(raw, eventTimeLimits, now, type);
    },
    entityVersionOf(data: TData): number | undefined {
      if (input.entityVersion === undefined) return undefined;
      const entityVersion = extract('entity version', InletErrorCode.validationFailed, () =>
        input.entityVersion?.(data),
      );
      if (!Number.isSafeInteger(entityVersion) || (entityVersion as number) < 0) {
        throw new InletValidationError(InletErrorCode.validationFailed, type, [
          {
            path: '(entity version)',
            message: `must be a non-negative integer, got ${String(entityVersion)}`,
          },
        ]);
      }
      return entityVersion;
    },
  });
}
