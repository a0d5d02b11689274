import { InletError, InletErrorCode, InletKafkaError } from '@inlet/core';

interface Classification {
  readonly code: InletErrorCode;
  readonly retryable: boolean;
}

const retryable = (code: InletErrorCode): Classification => ({ code, retryable: true });
const fatal = (code: InletErrorCode): Classification => ({ code, retryable: false });

// Protocol error types as kafkajs names them (it keeps pre-2.x Kafka names such as
// NOT_LEADER_FOR_PARTITION and GROUP_LOAD_IN_PROGRESS); current Kafka names are listed too.
const byProtocolType: Readonly<Record<string, Classification>> = {
  NETWORK_EXCEPTION: retryable(InletErrorCode.kafkaConnection),
  BROKER_NOT_AVAILABLE: retryable(InletErrorCode.kafkaConnection),
  REQUEST_TIMED_OUT: retryable(InletErrorCode.kafkaTimeout),

  NOT_LEADER_FOR_PARTITION: retryable(InletErrorCode.kafkaNotLeader),
  NOT_LEADER_OR_FOLLOWER: retryable(InletErrorCode.kafkaNotLeader),
  LEADER_NOT_AVAILABLE: retryable(InletErrorCode.kafkaNotLeader),
  REPLICA_NOT_AVAILABLE: retryable(InletErrorCode.kafkaNotLeader),
  FENCED_LEADER_EPOCH: retryable(InletErrorCode.kafkaNotLeader),
  UNKNOWN_LEADER_EPOCH: retryable(InletErrorCode.kafkaNotLeader),
  PREFERRED_LEADER_NOT_AVAILABLE: retryable(InletErrorCode.kafkaNotLeader),
  ELIGIBLE_LEADERS_NOT_AVAILABLE: retryable(InletErrorCode.kafkaNotLeader),
  NOT_CONTROLLER: retryable(InletErrorCode.kafkaNotLeader),
  KAFKA_STORAGE_ERROR: retryable(InletErrorCode.kafkaNotLeader),

  GROUP_LOAD_IN_PROGRESS: retryable(InletErrorCode.kafkaCoordinator),
  COORDINATOR_LOAD_IN_PROGRESS: retryable(InletErrorCode.kafkaCoordinator),
  GROUP_COORDINATOR_NOT_AVAILABLE: retryable(InletErrorCode.kafkaCoordinator),
  COORDINATOR_NOT_AVAILABLE: retryable(InletErrorCode.kafkaCoordinator),
  NOT_COORDINATOR_FOR_GROUP: retryable(InletErrorCode.kafkaCoordinator),
  NOT_COORDINATOR: retryable(InletErrorCode.kafkaCoordinator),
  CONCURRENT_TRANSACTIONS: retryable(InletErrorCode.kafkaCoordinator),

  REBALANCE_IN_PROGRESS: retryable(InletErrorCode.kafkaRebalance),
  ILLEGAL_GENERATION: retryable(InletErrorCode.kafkaRebalance),
  UNKNOWN_MEMBER_ID: retryable(InletErrorCode.kafkaRebalance),
  MEMBER_ID_REQUIRED: retryable(InletErrorCode.kafkaRebalance),

  UNKNOWN_TOPIC_OR_PARTITION: retryable(InletErrorCode.kafkaUnknownTopic),
  UNKNOWN_TOPIC_ID: retryable(InletErrorCode.kafkaUnknownTopic),
  TOPIC_ALREADY_EXISTS: fatal(InletErrorCode.kafkaTopicExists),

  NOT_ENOUGH_REPLICAS: retryable(InletErrorCode.kafkaNotEnoughReplicas),
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: retryable(InletErrorCode.kafkaNotEnoughReplicas),

  MESSAGE_TOO_LARGE: fatal(InletErrorCode.kafkaMessageTooLarge),
  RECORD_LIST_TOO_LARGE: fatal(InletErrorCode.kafkaMessageTooLarge),
  INVALID_RECORD: fatal(InletErrorCode.kafkaInvalidRecord),
  INVALID_TIMESTAMP: fatal(InletErrorCode.kafkaInvalidRecord),
  // A CRC mismatch: the bytes were damaged on the way, so sending them again can succeed.
  CORRUPT_MESSAGE: retryable(InletErrorCode.kafkaInvalidRecord),

  OFFSET_OUT_OF_RANGE: fatal(InletErrorCode.kafkaOffsetOutOfRange),

  SASL_AUTHENTICATION_FAILED: fatal(InletErrorCode.kafkaAuthentication),
  UNSUPPORTED_SASL_MECHANISM: fatal(InletErrorCode.kafkaAuthentication),
  // The answer to a SaslHandshake on a listener without SASL.
  ILLEGAL_SASL_STATE: fatal(InletErrorCode.kafkaSecurityProtocol),
  TOPIC_AUTHORIZATION_FAILED: fatal(InletErrorCode.kafkaAuthorization),
  GROUP_AUTHORIZATION_FAILED: fatal(InletErrorCode.kafkaAuthorization),
  CLUSTER_AUTHORIZATION_FAILED: fatal(InletErrorCode.kafkaAuthorization),
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: fatal(InletErrorCode.kafkaAuthorization),

  INVALID_PRODUCER_EPOCH: fatal(InletErrorCode.kafkaFenced),
  PRODUCER_FENCED: fatal(InletErrorCode.kafkaFenced),
  TRANSACTION_COORDINATOR_FENCED: fatal(InletErrorCode.kafkaFenced),
  INVALID_PRODUCER_ID_MAPPING: fatal(InletErrorCode.kafkaFenced),
  FENCED_INSTANCE_ID: fatal(InletErrorCode.kafkaFenced),
  OUT_OF_ORDER_SEQUENCE_NUMBER: fatal(InletErrorCode.kafkaSequence),
  DUPLICATE_SEQUENCE_NUMBER: fatal(InletErrorCode.kafkaSequence),
  UNKNOWN_PRODUCER_ID: fatal(InletErrorCode.kafkaSequence),

  UNSUPPORTED_VERSION: fatal(InletErrorCode.kafkaUnsupported),
  UNSUPPORTED_FOR_MESSAGE_FORMAT: fatal(InletErrorCode.kafkaUnsupported),
  UNSUPPORTED_COMPRESSION_TYPE: fatal(InletErrorCode.kafkaUnsupported),
};

// kafkajs error classes that are not protocol errors, by `name`.
const byErrorName: Readonly<Record<string, Classification>> = {
  KafkaJSConnectionError: retryable(InletErrorCode.kafkaConnection),
  KafkaJSConnectionClosedError: retryable(InletErrorCode.kafkaConnection),
  KafkaJSBrokerNotFound: retryable(InletErrorCode.kafkaConnection),
  KafkaJSNoBrokerAvailableError: retryable(InletErrorCode.kafkaConnection),
  KafkaJSRequestTimeoutError: retryable(InletErrorCode.kafkaTimeout),
  KafkaJSTimeout: retryable(InletErrorCode.kafkaTimeout),
  KafkaJSLockTimeout: retryable(InletErrorCode.kafkaTimeout),
  KafkaJSGroupCoordinatorNotFound: retryable(InletErrorCode.kafkaCoordinator),
  KafkaJSMemberIdRequired: retryable(InletErrorCode.kafkaRebalance),
  KafkaJSStaleTopicMetadataAssignment: retryable(InletErrorCode.kafkaRebalance),
  KafkaJSMetadataNotLoaded: retryable(InletErrorCode.kafkaUnknownTopic),
  KafkaJSTopicMetadataNotLoaded: retryable(InletErrorCode.kafkaUnknownTopic),
  KafkaJSOffsetOutOfRange: fatal(InletErrorCode.kafkaOffsetOutOfRange),
  KafkaJSSASLAuthenticationError: fatal(InletErrorCode.kafkaAuthentication),
  KafkaJSServerDoesNotSupportApiKey: fatal(InletErrorCode.kafkaUnsupported),
  KafkaJSNotImplemented: fatal(InletErrorCode.kafkaUnsupported),
  KafkaJSUnsupportedMagicByteInMessageSet: fatal(InletErrorCode.kafkaUnsupported),
};

// Error codes newer than kafkajs 2.2.4's table; it reports them as "Unknown error code <n>".
const newerProtocolTypes: Readonly<Record<number, string>> = {
  89: 'THROTTLING_QUOTA_EXCEEDED',
  90: 'PRODUCER_FENCED',
  100: 'UNKNOWN_TOPIC_ID',
};

// Node's TLS failures (untrusted or mismatched certificates) arrive as a KafkaJSConnectionError
// carrying the socket's error code; no retry fixes them.
const tlsFailureCode = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

// kafkajs reports a socket its factory could not even open as "Failed to connect: <reason>";
// with TLS options that do not load (a broken key or certificate, a wrong passphrase) the reason
// is OpenSSL's, and no retry fixes it.
const unusableTlsOptions = /^Failed to connect: .*(error:[0-9A-F]{8}:|routines|PEM|PKCS|pfx|passphrase)/i;

const securityProtocolMismatchType = 'SECURITY_PROTOCOL_MISMATCH';

/**
 * The error for a broker listener that expects another security protocol than the client's;
 * `message` says what it expects and which option to change.
 */
export function securityProtocolMismatch(message: string): InletKafkaError {
  return new InletKafkaError(
    InletErrorCode.kafkaSecurityProtocol,
    `${message} (${securityProtocolMismatchType})`,
    securityProtocolMismatchType,
    { retryable: false },
  );
}

// kafkajs wraps the real failure in these when retries run out or it gives up.
const wrapperNames = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError', 'KafkaJSError']);

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly groups?: unknown;
  readonly partitions?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null;
}

/** The errors an aggregate holds: KafkaJSAggregateError, AggregateError, delete-groups/records errors. */
function aggregatedErrors(error: ErrorLike): unknown[] {
  if (Array.isArray(error.errors)) return error.errors;
  for (const list of [error.groups, error.partitions]) {
    if (Array.isArray(list)) {
      const inner = list.map((entry: unknown) =>
        isErrorLike(entry) ? (entry as { error?: unknown }).error : undefined,
      );
      const present = inner.filter((entry) => entry !== undefined && entry !== null);
      if (present.length > 0) return present;
    }
  }
  return [];
}

interface Diagnosis {
  readonly root: ErrorLike | undefined;
  readonly type: string;
  readonly classification: Classification;
  /** Said instead of the root's own message, when that would not tell what to change. */
  readonly explanation?: string;
}

// Connection failures that are the client's configuration, not the network.
function diagnoseMisconfiguredConnection(error: ErrorLike): Diagnosis | undefined {
  const message = typeof error.message === 'string' ? error.message : '';
  if (error.code === InletErrorCode.kafkaSecurityProtocol) {
    return {
      root: error,
      type: securityProtocolMismatchType,
      classification: fatal(InletErrorCode.kafkaSecurityProtocol),
      explanation: message.replace(/^Connection error: /, ''),
    };
  }
  if (unusableTlsOptions.test(message)) {
    return {
      root: error,
      type: 'KafkaJSConnectionError',
      classification: fatal(InletErrorCode.kafkaAuthentication),
      explanation:
        `the TLS options cannot be used (${message.replace(/^Failed to connect: /, '')}): ` +
        'check ssl.key, ssl.cert, ssl.pfx, ssl.ca and ssl.passphrase',
    };
  }
  return undefined;
}

const illegalSaslStateExplanation =
  "the broker's listener does not use SASL (it refused the SASL handshake): remove the sasl " +
  'option, or connect to its SASL listener';

function protocolType(error: ErrorLike): string | undefined {
  if (typeof error.type !== 'string') return undefined;
  if (error.type !== 'KAFKAJS_UNKNOWN_ERROR_CODE') return error.type;
  const code = /Unknown error code (-?\d+)/.exec(String(error.message))?.[1];
  return (code === undefined ? undefined : newerProtocolTypes[Number(code)]) ?? error.type;
}

function diagnoseRoot(error: ErrorLike): Diagnosis {
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const type = protocolType(error);
  if (type !== undefined) {
    const known = byProtocolType[type];
    if (type === 'ILLEGAL_SASL_STATE' && known !== undefined) {
      return { root: error, type, classification: known, explanation: illegalSaslStateExplanation };
    }
    if (known !== undefined) return { root: error, type, classification: known };
    return {
      root: error,
      type,
      classification: { code: InletErrorCode.kafkaProtocol, retryable: error.retriable === true },
    };
  }
  const misconfigured =
    name === 'KafkaJSConnectionError' ? diagnoseMisconfiguredConnection(error) : undefined;
  if (misconfigured !== undefined) return misconfigured;
  if (
    name === 'KafkaJSConnectionError' &&
    typeof error.code === 'string' &&
    tlsFailureCode.test(error.code)
  ) {
    return { root: error, type: name, classification: fatal(InletErrorCode.kafkaAuthentication) };
  }
  const known = byErrorName[name];
  if (known !== undefined) return { root: error, type: name, classification: known };
  const fromKafkaJs = name.startsWith('KafkaJS');
  return {
    root: error,
    type: name,
    classification: {
      code: InletErrorCode.kafkaProtocol,
      retryable: fromKafkaJs && error.retriable === true,
    },
  };
}

function diagnose(error: unknown, depth: number): Diagnosis {
  if (!isErrorLike(error)) {
    return { root: undefined, type: typeof error, classification: fatal(InletErrorCode.kafkaProtocol) };
  }
  if (depth < 8) {
    const inner = aggregatedErrors(error);
    if (inner.length > 0) {
      const diagnoses = inner.map((entry) => diagnose(entry, depth + 1));
      // One permanent failure makes the whole operation permanent.
      return diagnoses.find((entry) => !entry.classification.retryable) ?? (diagnoses[0] as Diagnosis);
    }
    const name = typeof error.name === 'string' ? error.name : '';
    if (wrapperNames.has(name) && isErrorLike(error.cause) && error.cause !== error) {
      return diagnose(error.cause, depth + 1);
    }
  }
  return diagnoseRoot(error);
}

/**
 * Turns anything kafkajs throws into an {@link InletKafkaError}: wrappers (retries exhausted,
 * non-retriable, aggregates) are unwrapped to the root cause, which picks the code, the
 * `retryable` flag and `kafkaErrorType` (the protocol type, or the client error's name). The
 * original error is kept as `cause`. An InletKafkaError passes through unchanged.
 */
export function classifyKafkaJsError(error: unknown): InletKafkaError {
  if (error instanceof InletKafkaError) return error;
  const { root, type, classification, explanation } = diagnose(error, 0);
  const rootMessage =
    explanation ??
    (root !== undefined && typeof root.message === 'string' && root.message !== ''
      ? root.message
      : String(error));
  return new InletKafkaError(classification.code, `${rootMessage} (${type})`, type, {
    cause: error,
    retryable: classification.retryable,
  });
}

/** Inlet errors pass through; everything else is classified as a Kafka error. */
export function toInletError(error: unknown): InletError {
  return InletError.is(error) ? error : classifyKafkaJsError(error);
}
