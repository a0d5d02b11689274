import { createRequire } from 'node:module';
import { InletError, InletErrorCode, InletKafkaError } from '@inlet/core';
import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSDeleteGroupsError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSLockTimeout,
  KafkaJSMetadataNotLoaded,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  type KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyKafkaJsError, toInletError } from './classify-kafkajs-error';

// kafkajs builds protocol errors from the broker's numeric codes with this function; using it
// gives the exact objects (type, code, retriable flag, message) a real broker response yields.
const requireFromHere = createRequire(import.meta.url);
const { createErrorFromCode } = requireFromHere('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): KafkaJSProtocolError;
};

// KafkaJSConnectionClosedError is exported at runtime but missing from kafkajs's type file.
const { KafkaJSConnectionClosedError } = requireFromHere('kafkajs') as {
  KafkaJSConnectionClosedError: new (message: string, options: { host: string; port: number }) => Error;
};

// kafkajs's type file declares several of these constructors without the message (and the
// non-retriable wrapper without its cause option) that the runtime classes take.
function withMessage<T>(ErrorClass: new () => T, message: string): T {
  return new (ErrorClass as unknown as new (message: string) => T)(message);
}
function nonRetriable(cause: Error): Error {
  const Wrapper = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
  return new Wrapper(cause, { cause });
}

const protocol = (code: number) => createErrorFromCode(code);
const retriesExceeded = (cause: Error) =>
  new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1000 });

interface Row {
  readonly what: string;
  readonly error: unknown;
  readonly code: InletErrorCode;
  readonly retryable: boolean;
  readonly kafkaErrorType: string;
}

const rows: Row[] = [
  // connection and timeouts
  {
    what: 'refused connection',
    error: new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
      broker: '127.0.0.1:1',
      code: 'ECONNREFUSED',
    }),
    code: InletErrorCode.kafkaConnection,
    retryable: true,
    kafkaErrorType: 'KafkaJSConnectionError',
  },
  {
    what: 'closed connection',
    error: new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9092 }),
    code: InletErrorCode.kafkaConnection,
    retryable: true,
    kafkaErrorType: 'KafkaJSConnectionClosedError',
  },
  {
    what: 'NETWORK_EXCEPTION',
    error: protocol(13),
    code: InletErrorCode.kafkaConnection,
    retryable: true,
    kafkaErrorType: 'NETWORK_EXCEPTION',
  },
  {
    what: 'client request timeout',
    error: new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'),
    code: InletErrorCode.kafkaTimeout,
    retryable: true,
    kafkaErrorType: 'KafkaJSRequestTimeoutError',
  },
  {
    what: 'REQUEST_TIMED_OUT',
    error: protocol(7),
    code: InletErrorCode.kafkaTimeout,
    retryable: true,
    kafkaErrorType: 'REQUEST_TIMED_OUT',
  },
  {
    what: 'producer lock timeout',
    error: withMessage(KafkaJSLockTimeout, 'Timeout while acquiring lock (1 waiting locks)'),
    code: InletErrorCode.kafkaTimeout,
    retryable: true,
    kafkaErrorType: 'KafkaJSLockTimeout',
  },
  // leadership, coordinators, rebalances
  {
    what: 'NOT_LEADER_OR_FOLLOWER (kafkajs: NOT_LEADER_FOR_PARTITION)',
    error: protocol(6),
    code: InletErrorCode.kafkaNotLeader,
    retryable: true,
    kafkaErrorType: 'NOT_LEADER_FOR_PARTITION',
  },
  {
    what: 'LEADER_NOT_AVAILABLE',
    error: protocol(5),
    code: InletErrorCode.kafkaNotLeader,
    retryable: true,
    kafkaErrorType: 'LEADER_NOT_AVAILABLE',
  },
  {
    what: 'COORDINATOR_LOAD_IN_PROGRESS (kafkajs: GROUP_LOAD_IN_PROGRESS)',
    error: protocol(14),
    code: InletErrorCode.kafkaCoordinator,
    retryable: true,
    kafkaErrorType: 'GROUP_LOAD_IN_PROGRESS',
  },
  {
    what: 'NOT_COORDINATOR (kafkajs: NOT_COORDINATOR_FOR_GROUP)',
    error: protocol(16),
    code: InletErrorCode.kafkaCoordinator,
    retryable: true,
    kafkaErrorType: 'NOT_COORDINATOR_FOR_GROUP',
  },
  {
    what: 'COORDINATOR_NOT_AVAILABLE',
    error: protocol(15),
    code: InletErrorCode.kafkaCoordinator,
    retryable: true,
    kafkaErrorType: 'GROUP_COORDINATOR_NOT_AVAILABLE',
  },
  {
    what: 'coordinator not found (kafkajs calls it non-retriable; it is not)',
    error: withMessage(KafkaJSGroupCoordinatorNotFound, 'Failed to find group coordinator'),
    code: InletErrorCode.kafkaCoordinator,
    retryable: true,
    kafkaErrorType: 'KafkaJSGroupCoordinatorNotFound',
  },
  {
    what: 'REBALANCE_IN_PROGRESS',
    error: protocol(27),
    code: InletErrorCode.kafkaRebalance,
    retryable: true,
    kafkaErrorType: 'REBALANCE_IN_PROGRESS',
  },
  {
    what: 'ILLEGAL_GENERATION',
    error: protocol(22),
    code: InletErrorCode.kafkaRebalance,
    retryable: true,
    kafkaErrorType: 'ILLEGAL_GENERATION',
  },
  {
    what: 'UNKNOWN_MEMBER_ID',
    error: protocol(25),
    code: InletErrorCode.kafkaRebalance,
    retryable: true,
    kafkaErrorType: 'UNKNOWN_MEMBER_ID',
  },
  {
    what: 'NOT_ENOUGH_REPLICAS',
    error: protocol(19),
    code: InletErrorCode.kafkaNotEnoughReplicas,
    retryable: true,
    kafkaErrorType: 'NOT_ENOUGH_REPLICAS',
  },
  {
    what: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    error: protocol(20),
    code: InletErrorCode.kafkaNotEnoughReplicas,
    retryable: true,
    kafkaErrorType: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  },
  // topics
  {
    what: 'UNKNOWN_TOPIC_OR_PARTITION',
    error: protocol(3),
    code: InletErrorCode.kafkaUnknownTopic,
    retryable: true,
    kafkaErrorType: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    what: 'producing to a topic without metadata',
    error: withMessage(KafkaJSMetadataNotLoaded, 'Producing to topic without metadata'),
    code: InletErrorCode.kafkaUnknownTopic,
    retryable: true,
    kafkaErrorType: 'KafkaJSMetadataNotLoaded',
  },
  {
    what: 'TOPIC_ALREADY_EXISTS',
    error: protocol(36),
    code: InletErrorCode.kafkaTopicExists,
    retryable: false,
    kafkaErrorType: 'TOPIC_ALREADY_EXISTS',
  },
  // records
  {
    what: 'MESSAGE_TOO_LARGE',
    error: protocol(10),
    code: InletErrorCode.kafkaMessageTooLarge,
    retryable: false,
    kafkaErrorType: 'MESSAGE_TOO_LARGE',
  },
  {
    what: 'RECORD_LIST_TOO_LARGE',
    error: protocol(18),
    code: InletErrorCode.kafkaMessageTooLarge,
    retryable: false,
    kafkaErrorType: 'RECORD_LIST_TOO_LARGE',
  },
  {
    what: 'INVALID_RECORD',
    error: protocol(87),
    code: InletErrorCode.kafkaInvalidRecord,
    retryable: false,
    kafkaErrorType: 'INVALID_RECORD',
  },
  {
    what: 'INVALID_TIMESTAMP',
    error: protocol(32),
    code: InletErrorCode.kafkaInvalidRecord,
    retryable: false,
    kafkaErrorType: 'INVALID_TIMESTAMP',
  },
  {
    what: 'CORRUPT_MESSAGE (damaged in transit)',
    error: protocol(2),
    code: InletErrorCode.kafkaInvalidRecord,
    retryable: true,
    kafkaErrorType: 'CORRUPT_MESSAGE',
  },
  {
    what: 'OFFSET_OUT_OF_RANGE from a fetch',
    error: new KafkaJSOffsetOutOfRange(protocol(1), { topic: 't', partition: 0 }),
    code: InletErrorCode.kafkaOffsetOutOfRange,
    retryable: false,
    kafkaErrorType: 'OFFSET_OUT_OF_RANGE',
  },
  // security
  {
    what: 'SASL login refused',
    error: withMessage(
      KafkaJSSASLAuthenticationError,
      'SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials',
    ),
    code: InletErrorCode.kafkaAuthentication,
    retryable: false,
    kafkaErrorType: 'KafkaJSSASLAuthenticationError',
  },
  {
    what: 'SASL_AUTHENTICATION_FAILED',
    error: protocol(58),
    code: InletErrorCode.kafkaAuthentication,
    retryable: false,
    kafkaErrorType: 'SASL_AUTHENTICATION_FAILED',
  },
  {
    what: 'untrusted TLS certificate',
    error: new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
      broker: '127.0.0.1:9095',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    }),
    code: InletErrorCode.kafkaAuthentication,
    retryable: false,
    kafkaErrorType: 'KafkaJSConnectionError',
  },
  {
    what: 'TLS options that do not load (a broken key)',
    error: new KafkaJSConnectionError('Failed to connect: error:0480006C:PEM routines::no start line', {
      broker: '127.0.0.1:9095',
    }),
    code: InletErrorCode.kafkaAuthentication,
    retryable: false,
    kafkaErrorType: 'KafkaJSConnectionError',
  },
  // the client's security protocol does not match the listener's
  {
    what: 'a mismatch found by the security-checking socket',
    error: retriesExceeded(
      new KafkaJSConnectionError('Connection error: the broker at 127.0.0.1:9095 expects TLS', {
        broker: '127.0.0.1:9095',
        code: InletErrorCode.kafkaSecurityProtocol,
      }),
    ),
    code: InletErrorCode.kafkaSecurityProtocol,
    retryable: false,
    kafkaErrorType: 'SECURITY_PROTOCOL_MISMATCH',
  },
  {
    what: 'ILLEGAL_SASL_STATE (SASL on a listener without it)',
    error: protocol(34),
    code: InletErrorCode.kafkaSecurityProtocol,
    retryable: false,
    kafkaErrorType: 'ILLEGAL_SASL_STATE',
  },
  {
    what: 'TOPIC_AUTHORIZATION_FAILED',
    error: protocol(29),
    code: InletErrorCode.kafkaAuthorization,
    retryable: false,
    kafkaErrorType: 'TOPIC_AUTHORIZATION_FAILED',
  },
  // idempotence and transactions
  {
    what: 'INVALID_PRODUCER_EPOCH',
    error: protocol(47),
    code: InletErrorCode.kafkaFenced,
    retryable: false,
    kafkaErrorType: 'INVALID_PRODUCER_EPOCH',
  },
  {
    what: 'PRODUCER_FENCED (newer than kafkajs: "Unknown error code 90")',
    error: protocol(90),
    code: InletErrorCode.kafkaFenced,
    retryable: false,
    kafkaErrorType: 'PRODUCER_FENCED',
  },
  {
    what: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    error: protocol(45),
    code: InletErrorCode.kafkaSequence,
    retryable: false,
    kafkaErrorType: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  },
  // versions
  {
    what: 'UNSUPPORTED_VERSION',
    error: protocol(35),
    code: InletErrorCode.kafkaUnsupported,
    retryable: false,
    kafkaErrorType: 'UNSUPPORTED_VERSION',
  },
  {
    what: 'API key the broker does not have',
    error: new KafkaJSServerDoesNotSupportApiKey(
      'The Kafka server does not support the requested API version',
      {
        apiKey: 9,
        apiName: 'OffsetFetch',
      },
    ),
    code: InletErrorCode.kafkaUnsupported,
    retryable: false,
    kafkaErrorType: 'KafkaJSServerDoesNotSupportApiKey',
  },
  // everything else keeps kafkajs's own retriable flag
  {
    what: 'an unmapped retriable protocol error (UNSTABLE_OFFSET_COMMIT)',
    error: protocol(88),
    code: InletErrorCode.kafkaProtocol,
    retryable: true,
    kafkaErrorType: 'UNSTABLE_OFFSET_COMMIT',
  },
  {
    what: 'an unmapped permanent protocol error (INVALID_CONFIG)',
    error: protocol(40),
    code: InletErrorCode.kafkaProtocol,
    retryable: false,
    kafkaErrorType: 'INVALID_CONFIG',
  },
  {
    what: 'a plain kafkajs usage error',
    error: new KafkaJSNonRetriableError('Cannot continue to use transaction once ended'),
    code: InletErrorCode.kafkaProtocol,
    retryable: false,
    kafkaErrorType: 'KafkaJSNonRetriableError',
  },
  {
    what: 'something that is not a kafkajs error',
    error: new TypeError('x is not a function'),
    code: InletErrorCode.kafkaProtocol,
    retryable: false,
    kafkaErrorType: 'TypeError',
  },
];

describe('classifyKafkaJsError', () => {
  it.each(rows)('$what → $code (retryable: $retryable)', ({ error, code, retryable, kafkaErrorType }) => {
    const classified = classifyKafkaJsError(error);
    expect(classified).toBeInstanceOf(InletKafkaError);
    expect(classified.code).toBe(code);
    expect(classified.retryable).toBe(retryable);
    expect(classified.kafkaErrorType).toBe(kafkaErrorType);
    expect(classified.cause).toBe(error);
  });

  describe('says what a misconfigured connection expected', () => {
    it('for a mismatch found on the connection, in its own words', () => {
      const classified = classifyKafkaJsError(
        new KafkaJSConnectionError('Connection error: the broker at 127.0.0.1:9095 expects TLS: set ssl', {
          broker: '127.0.0.1:9095',
          code: InletErrorCode.kafkaSecurityProtocol,
        }),
      );
      expect(classified.message).toBe(
        'the broker at 127.0.0.1:9095 expects TLS: set ssl (SECURITY_PROTOCOL_MISMATCH)',
      );
    });

    it('for SASL on a listener without it', () => {
      expect(classifyKafkaJsError(protocol(34)).message).toMatch(/does not use SASL.*remove the sasl option/);
    });

    it('for TLS options that do not load', () => {
      const classified = classifyKafkaJsError(
        new KafkaJSConnectionError('Failed to connect: error:0480006C:PEM routines::no start line', {
          broker: '127.0.0.1:9095',
        }),
      );
      expect(classified.message).toMatch(/TLS options.*PEM routines::no start line.*ssl/);
    });

    it('but keeps a connection that failed for other reasons retryable', () => {
      const reset = new KafkaJSConnectionError('Connection error: read ECONNRESET', {
        broker: '127.0.0.1:9092',
        code: 'ECONNRESET',
      });
      expect(classifyKafkaJsError(reset)).toMatchObject({
        code: InletErrorCode.kafkaConnection,
        retryable: true,
      });
    });
  });

  describe('unwraps to the root cause', () => {
    it('through retries exhausted', () => {
      const root = protocol(10);
      const classified = classifyKafkaJsError(retriesExceeded(root));
      expect(classified.code).toBe(InletErrorCode.kafkaMessageTooLarge);
      expect(classified.kafkaErrorType).toBe('MESSAGE_TOO_LARGE');
      expect(classified.message).toContain(root.message);
    });

    it('through the non-retriable wrapper the retrier adds, keeping the wrapper as cause', () => {
      const root = protocol(47);
      const wrapper = nonRetriable(root);
      const classified = classifyKafkaJsError(wrapper);
      expect(classified.code).toBe(InletErrorCode.kafkaFenced);
      expect(classified.cause).toBe(wrapper);
    });

    it('through several layers', () => {
      const root = new KafkaJSConnectionError('Connection timeout', { broker: '127.0.0.1:9092' });
      const inner = nonRetriable(root);
      const classified = classifyKafkaJsError(retriesExceeded(inner));
      expect(classified.code).toBe(InletErrorCode.kafkaConnection);
      expect(classified.retryable).toBe(true);
    });

    it('to the permanent failure of an aggregate', () => {
      const aggregate = new KafkaJSAggregateError('Topic creation errors', [protocol(36), protocol(40)]);
      const classified = classifyKafkaJsError(aggregate);
      expect(classified.code).toBe(InletErrorCode.kafkaTopicExists);
      expect(classified.retryable).toBe(false);
    });

    it('to the first error of an all-retryable aggregate', () => {
      const aggregate = new KafkaJSAggregateError('errors', [protocol(6), protocol(3)]);
      expect(classifyKafkaJsError(aggregate).code).toBe(InletErrorCode.kafkaNotLeader);
    });

    it('to the per-group error of a delete-groups failure', () => {
      const error = new KafkaJSDeleteGroupsError('Error in DeleteGroups', [
        { groupId: 'g', errorCode: 68, error: protocol(68) },
      ]);
      const classified = classifyKafkaJsError(error);
      expect(classified.kafkaErrorType).toBe('NON_EMPTY_GROUP');
      expect(classified.retryable).toBe(false);
    });

    it('but not through a generic KafkaJSError that has no cause', () => {
      const classified = classifyKafkaJsError(new KafkaJSError('The group is rebalancing'));
      expect(classified.code).toBe(InletErrorCode.kafkaProtocol);
      expect(classified.retryable).toBe(true);
      expect(classified.kafkaErrorType).toBe('KafkaJSError');
    });
  });

  it('passes an InletKafkaError through unchanged', () => {
    const error = new InletKafkaError(InletErrorCode.kafkaTimeout, 'slow', 'REQUEST_TIMED_OUT');
    expect(classifyKafkaJsError(error)).toBe(error);
  });

  it('describes values that are not errors', () => {
    const classified = classifyKafkaJsError('boom');
    expect(classified.code).toBe(InletErrorCode.kafkaProtocol);
    expect(classified.message).toContain('boom');
  });
});

describe('toInletError', () => {
  it('keeps Inlet errors and classifies the rest', () => {
    const closed = new InletError(InletErrorCode.closed, 'producer is closed');
    expect(toInletError(closed)).toBe(closed);
    expect(toInletError(protocol(10)).code).toBe(InletErrorCode.kafkaMessageTooLarge);
  });
});
