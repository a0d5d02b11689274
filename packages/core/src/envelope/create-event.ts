import { InletError, InletErrorCode, InletValidationError } from '../errors';
import type { EventDefinition } from '../events/define-event';
import { createUuidV7Generator } from '../events/uuid-v7';
import { isValidTraceparent } from './cloudevents';
import type { InletEvent } from './inlet-event';

export interface CreateEventOptions {
  /** CloudEvents `source`: who produces it, a URI reference such as `urn:service:checkout`. */
  readonly source: string;
  /** An id to keep (a retry of a known event); a new UUIDv7 otherwise. */
  readonly id?: string;
  readonly producedAt?: Date;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The clock, for event-time bounds and `producedAt`. */
  readonly now?: number;
  /** Where new ids come from. */
  readonly newId?: () => string;
}

const defaultNewId = createUuidV7Generator();

const noHeaders: Readonly<Record<string, string>> = Object.freeze({});

// Header names owned by the envelope; application headers must not shadow them.
function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('ce_') || lower === 'content-type';
}

function checkHeaders(
  type: string,
  headers: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  if (headers === undefined) return noHeaders;
  const issues = Object.entries(headers).flatMap(([name, value]) => {
    if (isReservedHeader(name)) {
      return [{ path: `(headers)/${name}`, message: 'is reserved for the CloudEvents envelope' }];
    }
    if (typeof value !== 'string') return [{ path: `(headers)/${name}`, message: 'must be a string' }];
    return [];
  });
  if (issues.length > 0) throw new InletValidationError(InletErrorCode.validationFailed, type, issues);
  return Object.freeze({ ...headers });
}

/**
 * Validates data against its definition and wraps it in a stamped envelope: id, event time, key,
 * producedAt, source, trace context. Every check runs here, before anything can leave.
 */
export function createEvent<TType extends string, TData>(
  definition: EventDefinition<TType, TData>,
  data: unknown,
  options: CreateEventOptions,
): InletEvent<TData, TType> {
  if (typeof options.source !== 'string' || options.source.length === 0) {
    throw new InletError(InletErrorCode.invalidOption, 'source must be a non-empty URI reference');
  }
  const now = options.now ?? Date.now();
  const valid = definition.parse(data);
  const key = definition.keyOf(valid);
  const eventTime = definition.eventTimeOf(valid, now);
  const entityVersion = definition.entityVersionOf(valid);
  if (definition.contract !== undefined) {
    const violations = definition.contract.violations(valid);
    if (violations.length > 0) {
      throw new InletValidationError(InletErrorCode.contractViolation, definition.type, violations);
    }
  }
  const headers = checkHeaders(definition.type, options.headers);
  if (options.traceparent !== undefined && !isValidTraceparent(options.traceparent)) {
    throw new InletValidationError(InletErrorCode.validationFailed, definition.type, [
      { path: '(traceparent)', message: `"${options.traceparent}" is not a W3C traceparent` },
    ]);
  }
  const event: {
    -readonly [K in keyof InletEvent<TData, TType>]: InletEvent<TData, TType>[K];
  } = {
    id: options.id ?? (options.newId ?? defaultNewId)(),
    type: definition.type,
    version: definition.version,
    key,
    eventTime,
    producedAt: options.producedAt ?? new Date(now),
    source: options.source,
    headers,
    data: valid,
  };
  if (options.traceparent !== undefined) event.traceparent = options.traceparent;
  if (options.tracestate !== undefined) event.tracestate = options.tracestate;
  if (entityVersion !== undefined) event.entityVersion = entityVersion;
  return event;
}
