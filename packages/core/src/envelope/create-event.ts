import { isWellFormedText } from '../codecs/avro/well-formed-strings';
import { InletError, InletErrorCode, InletValidationError, type ValidationIssue } from '../errors';
import type { EventDefinition } from '../events/define-event';
import { createUuidV7Generator } from '../events/uuid-v7';
import {
  envelopeAttributeNames,
  isAttributeName,
  isReservedHeaderName,
  isValidTraceparent,
} from './cloudevents';
import type { EventHeaders, InletEvent, OutgoingEventHeaders } from './inlet-event';

export interface CreateEventOptions {
  /** CloudEvents `source`: who produces it, a URI reference such as `urn:service:checkout`. */
  readonly source: string;
  /** An id to keep (a retry of a known event); a new UUIDv7 otherwise. */
  readonly id?: string;
  readonly producedAt?: Date;
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** CloudEvents `subject`: what the event is about, within its source. */
  readonly subject?: string;
  /** CloudEvents `dataschema`: an absolute URI naming the schema of the data. */
  readonly dataSchema?: string;
  /** Other CloudEvents extension attributes: lower-case letters or digits, text values. */
  readonly extensions?: Readonly<Record<string, string>>;
  /** Application headers: text or bytes, an array for a name sent more than once. */
  readonly headers?: OutgoingEventHeaders;
  /** The clock, for event-time bounds and `producedAt`. */
  readonly now?: number;
  /** Where new ids come from. */
  readonly newId?: () => string;
}

const defaultNewId = createUuidV7Generator();

const noHeaders: EventHeaders = Object.freeze({});
const noExtensions: Readonly<Record<string, string>> = Object.freeze({});

function textIssue(path: string, value: unknown): ValidationIssue | undefined {
  if (typeof value !== 'string') return { path, message: 'must be a string' };
  if (!isWellFormedText(value)) return { path, message: 'has a lone surrogate, which UTF-8 cannot carry' };
  return undefined;
}

function headerValueIssue(path: string, value: unknown): ValidationIssue | undefined {
  if (Buffer.isBuffer(value)) return undefined;
  if (typeof value === 'string') return textIssue(path, value);
  const message =
    value === null
      ? 'has no value, and a header without one cannot be sent'
      : 'must be a string, a Buffer or an array of them';
  return { path, message };
}

function headerIssues(name: string, value: unknown): ValidationIssue[] {
  const path = `(headers)/${name}`;
  if (isReservedHeaderName(name)) return [{ path, message: 'is reserved for the CloudEvents envelope' }];
  if (!isWellFormedText(name)) return [{ path, message: 'has a lone surrogate in its name' }];
  const values: readonly unknown[] = Array.isArray(value) ? value : [value];
  return values.flatMap((item) => headerValueIssue(path, item) ?? []);
}

function defineValue(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: false, configurable: false });
}

function checkHeaders(type: string, headers: OutgoingEventHeaders | undefined): EventHeaders {
  if (headers === undefined) return noHeaders;
  const issues = Object.keys(headers).flatMap((name) => headerIssues(name, headers[name]));
  if (issues.length > 0) throw new InletValidationError(InletErrorCode.validationFailed, type, issues);
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    defineValue(copy, name, Array.isArray(value) ? Object.freeze([...value]) : value);
  }
  return Object.freeze(copy) as EventHeaders;
}

function checkExtensions(
  type: string,
  extensions: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  if (extensions === undefined) return noExtensions;
  const issues = Object.keys(extensions).flatMap((name): ValidationIssue[] => {
    const path = `(extensions)/${name}`;
    if (!isAttributeName(name)) return [{ path, message: 'must be lower-case letters or digits' }];
    if (envelopeAttributeNames.has(name)) return [{ path, message: 'is an attribute the envelope owns' }];
    const issue = textIssue(path, extensions[name]);
    return issue === undefined ? [] : [issue];
  });
  if (issues.length > 0) throw new InletValidationError(InletErrorCode.validationFailed, type, issues);
  return Object.freeze({ ...extensions });
}

// An absolute URI: a scheme, then no white space.
const absoluteUri = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/;

function envelopeIssues(options: CreateEventOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const nonEmptyText = (path: string, value: string | undefined) => {
    if (value === undefined) return;
    const issue =
      textIssue(path, value) ?? (value.length === 0 ? { path, message: 'must not be empty' } : undefined);
    if (issue !== undefined) issues.push(issue);
  };
  nonEmptyText('(id)', options.id);
  nonEmptyText('(subject)', options.subject);
  nonEmptyText('(dataSchema)', options.dataSchema);
  if (options.dataSchema !== undefined && issues.length === 0 && !absoluteUri.test(options.dataSchema)) {
    issues.push({ path: '(dataSchema)', message: `"${options.dataSchema}" is not an absolute URI` });
  }
  if (options.tracestate !== undefined) {
    const issue = textIssue('(tracestate)', options.tracestate);
    if (issue !== undefined) issues.push(issue);
  }
  if (options.traceparent !== undefined && !isValidTraceparent(options.traceparent)) {
    issues.push({ path: '(traceparent)', message: `"${options.traceparent}" is not a W3C traceparent` });
  }
  return issues;
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
  if (
    typeof options.source !== 'string' ||
    options.source.length === 0 ||
    !isWellFormedText(options.source)
  ) {
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
  const extensions = checkExtensions(definition.type, options.extensions);
  const issues = envelopeIssues(options);
  if (issues.length > 0)
    throw new InletValidationError(InletErrorCode.validationFailed, definition.type, issues);
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
    extensions,
    headers,
    data: valid,
  };
  if (options.traceparent !== undefined) event.traceparent = options.traceparent;
  if (options.tracestate !== undefined) event.tracestate = options.tracestate;
  if (entityVersion !== undefined) event.entityVersion = entityVersion;
  if (options.subject !== undefined) event.subject = options.subject;
  if (options.dataSchema !== undefined) event.dataSchema = options.dataSchema;
  return event;
}
