/**
 * The codes of what core defines: lifecycle and options, event definitions, decoding, and the
 * codes its ports promise (the transport port's `INLET_KAFKA_*` and `INLET_HANDLER_FAILED`, which
 * every transport raises; the schema resolver's schema and registry codes). Every error Inlet
 * throws is an {@link InletError} with a stable `code`; a package that raises codes of its own
 * lists them itself (`ProducerErrorCode` in `@inlet/producer`, ...). Match on `code` (or
 * {@link InletError.hasCode}), not on the class or the message: codes are part of the public API
 * and never change meaning; messages may be reworded.
 */
export const InletErrorCode = {
  // lifecycle and options
  invalidOption: 'INLET_INVALID_OPTION',
  closed: 'INLET_CLOSED',
  aborted: 'INLET_ABORTED',
  timeout: 'INLET_TIMEOUT',

  // event definitions and the events themselves
  invalidDefinition: 'INLET_INVALID_DEFINITION',
  validationFailed: 'INLET_VALIDATION_FAILED',
  invalidEventTime: 'INLET_INVALID_EVENT_TIME',
  invalidKey: 'INLET_INVALID_KEY',
  contractViolation: 'INLET_CONTRACT_VIOLATION',

  // decoding records from the wire (the raw record is always kept)
  missingHeader: 'INLET_DECODE_MISSING_HEADER',
  badMagicByte: 'INLET_DECODE_BAD_MAGIC_BYTE',
  truncated: 'INLET_DECODE_TRUNCATED',
  malformedPayload: 'INLET_DECODE_MALFORMED_PAYLOAD',
  unknownEventType: 'INLET_DECODE_UNKNOWN_TYPE',
  unknownSchemaId: 'INLET_DECODE_UNKNOWN_SCHEMA_ID',
  unsupportedContentType: 'INLET_DECODE_UNSUPPORTED_CONTENT_TYPE',

  // schemas and the registry
  schemaInvalid: 'INLET_SCHEMA_INVALID',
  schemaIncompatible: 'INLET_SCHEMA_INCOMPATIBLE',
  schemaNotRegistered: 'INLET_SCHEMA_NOT_REGISTERED',
  registryUnavailable: 'INLET_REGISTRY_UNAVAILABLE',
  registryRequestFailed: 'INLET_REGISTRY_REQUEST_FAILED',

  // Kafka, classified at the edge from the client's errors
  kafkaConnection: 'INLET_KAFKA_CONNECTION',
  kafkaTimeout: 'INLET_KAFKA_TIMEOUT',
  kafkaNotLeader: 'INLET_KAFKA_NOT_LEADER',
  kafkaCoordinator: 'INLET_KAFKA_COORDINATOR',
  kafkaRebalance: 'INLET_KAFKA_REBALANCE',
  kafkaUnknownTopic: 'INLET_KAFKA_UNKNOWN_TOPIC',
  kafkaTopicExists: 'INLET_KAFKA_TOPIC_EXISTS',
  kafkaNotEnoughReplicas: 'INLET_KAFKA_NOT_ENOUGH_REPLICAS',
  kafkaMessageTooLarge: 'INLET_KAFKA_MESSAGE_TOO_LARGE',
  kafkaInvalidRecord: 'INLET_KAFKA_INVALID_RECORD',
  kafkaOffsetOutOfRange: 'INLET_KAFKA_OFFSET_OUT_OF_RANGE',
  kafkaAuthentication: 'INLET_KAFKA_AUTHENTICATION',
  /**
   * The client and the broker's listener disagree on TLS or SASL (Kafka's `security.protocol`):
   * e.g. no `ssl` on a TLS port, no `sasl` on a SASL port, or `ssl` on a plaintext port.
   */
  kafkaSecurityProtocol: 'INLET_KAFKA_SECURITY_PROTOCOL',
  kafkaAuthorization: 'INLET_KAFKA_AUTHORIZATION',
  kafkaFenced: 'INLET_KAFKA_FENCED',
  kafkaSequence: 'INLET_KAFKA_OUT_OF_ORDER_SEQUENCE',
  kafkaUnsupported: 'INLET_KAFKA_UNSUPPORTED',
  kafkaProtocol: 'INLET_KAFKA_PROTOCOL',

  // a handler threw: a transport consumer's batch handler or hook (every transport raises it),
  // or the handler given to @inlet/consumer
  handlerFailed: 'INLET_HANDLER_FAILED',
} as const;

export type InletErrorCode = (typeof InletErrorCode)[keyof typeof InletErrorCode];

const inletErrorBrand = Symbol.for('inlet.error');

export interface InletErrorOptions {
  readonly cause?: unknown;
  /** True when trying the same operation again may succeed. */
  readonly retryable?: boolean;
}

/**
 * The base of every Inlet error: a stable `code`, a `retryable` flag and the original `cause`.
 * The one base class of all Inlet packages; each package has its own closed list of codes (core's
 * is {@link InletErrorCode}), so `code` is a string, not a union a new package would have to edit.
 */
export class InletError extends Error {
  override readonly name: string = 'InletError';
  /** A stable `INLET_*` code from the list of the package that raised it. */
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: InletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    Object.defineProperty(this, inletErrorBrand, { value: true });
  }

  /** Works across duplicate installs of the package, where `instanceof` does not. */
  static is(value: unknown): value is InletError {
    return typeof value === 'object' && value !== null && inletErrorBrand in value;
  }

  /** True when `value` is an Inlet error with one of the given codes, of any package. */
  static hasCode(value: unknown, ...codes: readonly string[]): value is InletError {
    return InletError.is(value) && codes.includes(value.code);
  }
}

/** One thing wrong with a value, located by a JSON-pointer-like path (`/items/0/price`). */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** A value did not satisfy an event's schema, event-time or key rules. */
export class InletValidationError extends InletError {
  override readonly name: string = 'InletValidationError';
  /** The event type whose rules failed, when known. */
  readonly eventType: string | undefined;
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: InletErrorCode,
    eventType: string | undefined,
    issues: readonly ValidationIssue[],
    options: InletErrorOptions & {
      /** What was invalid when it is not an event ("consumer options"). */
      readonly subject?: string;
    } = {},
  ) {
    const subject = options.subject ?? (eventType === undefined ? 'value' : `event "${eventType}"`);
    super(code, describeIssues(subject, issues), options);
    this.eventType = eventType;
    this.issues = issues;
  }
}

function describeIssues(subject: string, issues: readonly ValidationIssue[]): string {
  const listed = issues
    .slice(0, 5)
    .map((issue) => `${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`)
    .join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `invalid ${subject}: ${listed}${more}`;
}

/** One record header as it is on the wire. Kafka allows a header with no value: `value` is then null. */
export interface RecordHeader {
  readonly name: string;
  readonly value: Buffer | null;
}

/** A record as it came off the wire, kept whole on every decode error. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /**
   * The headers by name. A name that occurs more than once maps to its last value, as the Java
   * client's `Headers.lastHeader()` does; `headerList` has every one.
   */
  readonly headers: Readonly<Record<string, Buffer | null>>;
  /**
   * Every header, null values and repeated names included: each name's values in the order they
   * were written, names in the order they first occur (kafkajs collects a record's headers in an
   * object, which loses finer order and puts integer-like names such as `"1"` first).
   */
  readonly headerList: readonly RecordHeader[];
  readonly timestamp: number;
}

/** A record could not be decoded into an event. `record` is the untouched original. */
export class InletDecodeError extends InletError {
  override readonly name: string = 'InletDecodeError';
  readonly record: RawRecord;
  /** For INLET_VALIDATION_FAILED: what in the decoded data broke the schema. */
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: InletErrorCode,
    message: string,
    record: RawRecord,
    options: InletErrorOptions & { readonly issues?: readonly ValidationIssue[] } = {},
  ) {
    super(code, `${message} (${record.topic}/${record.partition}@${record.offset})`, options);
    this.record = record;
    this.issues = options.issues ?? [];
  }
}

/** An error from Kafka or the Kafka client, classified into an Inlet code. */
export class InletKafkaError extends InletError {
  override readonly name: string = 'InletKafkaError';
  /** The Kafka protocol error name (e.g. `NOT_LEADER_OR_FOLLOWER`) or the client's error name. */
  readonly kafkaErrorType: string;

  constructor(
    code: InletErrorCode,
    message: string,
    kafkaErrorType: string,
    options: InletErrorOptions = {},
  ) {
    super(code, message, options);
    this.kafkaErrorType = kafkaErrorType;
  }
}

/** The error for any call on a resource after its `close()`. */
export function closedError(resource: string): InletError {
  return new InletError(InletErrorCode.closed, `${resource} is closed`);
}

/** The error for an operation stopped by an AbortSignal; keeps the signal's reason as cause. */
export function abortedError(what: string, signal: AbortSignal): InletError {
  return new InletError(InletErrorCode.aborted, `${what} was aborted`, { cause: signal.reason });
}

/** Throws the aborted error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(what, signal);
}
