import { checkOptions, option, required, type TopicDefinition, type ValidationIssue } from '@inlet/core';
import type { SinkBatch } from '../sink';

export interface WebhookRetryOptions {
  /** Retries of a request that failed retryably (408, 425, 429, 5xx, network, timeout). Default 3. */
  readonly retries?: number;
  /** Default 200 ms. */
  readonly minDelayMs?: number;
  /** No wait is longer, a `Retry-After` included. Default 10 000 ms. */
  readonly maxDelayMs?: number;
}

export interface WebhookCircuitBreakerOptions {
  /** Consecutive failed requests that open the circuit. Default 5. */
  readonly failureThreshold?: number;
  /** How long it stays open before one probe goes through. Default 30 000 ms. */
  readonly resetAfterMs?: number;
}

export interface WebhookSinkOptions<TTopics extends readonly TopicDefinition[], TEvent> {
  /** Where the batches go (http or https). */
  readonly url: string | URL;
  /** The topics the pipeline consumes: they type the events `body` receives. */
  readonly topics: TTopics;
  /** Default `POST`. */
  readonly method?: 'POST' | 'PUT' | 'PATCH';
  /** Sent with every request (an `Authorization`, say); never logged nor put in errors. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The request body of a batch (one partition's changes, in offset order): a string or bytes
   * are sent as they are, anything else as JSON. Default `{ topic, partition, events }`.
   */
  readonly body?: (batch: SinkBatch<TEvent>) => unknown;
  /** A batch is sent in requests of at most this many changes. Default 500. */
  readonly maxEventsPerRequest?: number;
  /** Per request, until the whole response is read. Default 10 000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: WebhookRetryOptions;
  readonly circuitBreaker?: WebhookCircuitBreakerOptions;
  /** The header that carries each request's idempotency key. Default `Idempotency-Key`. */
  readonly idempotencyKeyHeader?: string;
}

export const webhookSinkDefaults = {
  method: 'POST',
  maxEventsPerRequest: 500,
  timeoutMs: 10_000,
  retry: { retries: 3, minDelayMs: 200, maxDelayMs: 10_000 },
  circuitBreaker: { failureThreshold: 5, resetAfterMs: 30_000 },
  idempotencyKeyHeader: 'Idempotency-Key',
  /** Characters of a refusing response's body kept in the rejection's reason. */
  maxReasonChars: 1_000,
} as const;

export interface ResolvedWebhookSinkOptions<TEvent> {
  readonly url: URL;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ((batch: SinkBatch<TEvent>) => unknown) | undefined;
  readonly maxEventsPerRequest: number;
  readonly timeoutMs: number;
  readonly retry: Required<WebhookRetryOptions>;
  readonly circuitBreaker: Required<WebhookCircuitBreakerOptions>;
  readonly idempotencyKeyHeader: string;
}

const maxTimerMs = 2_147_483_647;

function isHttpUrl(value: unknown): boolean {
  if (!(typeof value === 'string' || value instanceof URL)) return false;
  const parsed = URL.canParse(String(value)) ? new URL(String(value)) : undefined;
  return parsed?.protocol === 'http:' || parsed?.protocol === 'https:';
}

const webhookSinkShape = {
  url: required(option.custom('an http(s) URL (a string or a URL)', isHttpUrl)),
  topics: required(
    option.arrayOf(
      option.custom(
        'a topic made with defineTopic()',
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { name?: unknown }).name === 'string',
      ),
      { minItems: 1 },
    ),
  ),
  method: option.oneOf(['POST', 'PUT', 'PATCH']),
  headers: option.custom(
    'an object of header names to string values',
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every((entry) => typeof entry === 'string'),
  ),
  body: option.function('a function (batch) => body'),
  maxEventsPerRequest: option.integer({ min: 1 }),
  timeoutMs: option.integer({ min: 1, max: maxTimerMs }),
  retry: option.object({
    retries: option.integer({ min: 0 }),
    minDelayMs: option.integer({ min: 0, max: maxTimerMs }),
    maxDelayMs: option.integer({ min: 0, max: maxTimerMs }),
  }),
  circuitBreaker: option.object({
    failureThreshold: option.integer({ min: 1 }),
    resetAfterMs: option.integer({ min: 1, max: maxTimerMs }),
  }),
  idempotencyKeyHeader: option.custom(
    'a header name',
    (value) => typeof value === 'string' && /^[!#$%&'*+.^`|~\w-]+$/.test(value),
  ),
};

function crossChecks(options: Record<string, unknown>, issues: ValidationIssue[]): void {
  const retry = { ...webhookSinkDefaults.retry, ...(options.retry as WebhookRetryOptions | undefined) };
  if (retry.maxDelayMs < retry.minDelayMs) {
    issues.push({
      path: 'retry.maxDelayMs',
      message: `must not be less than retry.minDelayMs (${retry.minDelayMs}), got ${retry.maxDelayMs}`,
    });
  }
}

/** Checks every option (unknown keys included) and fills in the defaults; errors name the option. */
export function resolveWebhookSinkOptions<TTopics extends readonly TopicDefinition[], TEvent>(
  options: WebhookSinkOptions<TTopics, TEvent>,
): ResolvedWebhookSinkOptions<TEvent> {
  checkOptions('webhook sink', options, webhookSinkShape, crossChecks);
  return {
    url: new URL(String(options.url)),
    method: options.method ?? webhookSinkDefaults.method,
    headers: options.headers ?? {},
    body: options.body,
    maxEventsPerRequest: options.maxEventsPerRequest ?? webhookSinkDefaults.maxEventsPerRequest,
    timeoutMs: options.timeoutMs ?? webhookSinkDefaults.timeoutMs,
    retry: { ...webhookSinkDefaults.retry, ...options.retry },
    circuitBreaker: { ...webhookSinkDefaults.circuitBreaker, ...options.circuitBreaker },
    idempotencyKeyHeader: options.idempotencyKeyHeader ?? webhookSinkDefaults.idempotencyKeyHeader,
  };
}
