import {
  abortedError,
  backoffDelayMs,
  closedError,
  InletError,
  sleep,
  type TopicDefinition,
  type TopicEvent,
} from '@inlet/core';
import { Pool } from 'undici';
import type { Sink, SinkBatch, SinkRejection, SinkWriteContext } from '../sink';
import { sinkChannels } from '../sink-diagnostics';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';
import { idempotencyKey } from './idempotency-key';
import { retryAfterMs } from './retry-after';
import { defaultWebhookBody } from './webhook-body';
import { isRetryableStatus, WebhookResponseError } from './webhook-response-error';
import { WebhookSinkErrorCode } from './webhook-sink-error-code';
import {
  type ResolvedWebhookSinkOptions,
  resolveWebhookSinkOptions,
  type WebhookSinkOptions,
  webhookSinkDefaults,
} from './webhook-sink-options';

export interface WebhookSink<TEvent> extends Sink<TEvent> {
  /** The circuit breaker's state now. */
  circuitState(): CircuitState;
}

/** A request's outcome once retries are done: sent, or refused for good. */
type Delivery = { readonly ok: true } | { readonly ok: false; readonly error: WebhookResponseError };

interface Attempt {
  readonly delivery?: Delivery;
  /** A retryable failure, and how long the receiver asked to wait. */
  readonly failure?: unknown;
  readonly retryAfterMs?: number;
}

/**
 * A sink that POSTs each batch (one partition's changes, in offset order) to an HTTP endpoint, in
 * requests of at most `maxEventsPerRequest` changes. A 2xx acknowledges a request. 408, 425, 429,
 * 5xx, network errors and timeouts are retried with backoff, honouring `Retry-After`; past the
 * retries the write fails retryably and the pipeline's retry takes over. Another 4xx refuses the
 * request: its changes are sent one by one, and those refused alone are rejected (dead-lettered)
 * with the status and the response's body. Each request carries an idempotency key derived from
 * the group, the partition and its offsets, the same whenever the same changes are sent again. A
 * circuit breaker stops sending after consecutive failures.
 */
export function createWebhookSink<const TTopics extends readonly TopicDefinition[]>(
  options: WebhookSinkOptions<TTopics, TopicEvent<TTopics[number]>>,
): WebhookSink<TopicEvent<TTopics[number]>> {
  type TEvent = TopicEvent<TTopics[number]>;
  const settings: ResolvedWebhookSinkOptions<TEvent> = resolveWebhookSinkOptions(options);
  const { url } = settings;
  const path = `${url.pathname}${url.search}`;
  // The request's own timeout is an AbortSignal; undici's are set to match, as a backstop.
  const pool = new Pool(url.origin, {
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    connections: 16,
  });
  const breaker = new CircuitBreaker(settings.circuitBreaker);
  const toBody = settings.body ?? (defaultWebhookBody as (batch: SinkBatch<TEvent>) => unknown);
  const name = `webhook:${url.host}`;
  let closed: Promise<void> | undefined;

  function encode(value: unknown): { readonly body: string | Uint8Array; readonly json: boolean } {
    if (typeof value === 'string' || value instanceof Uint8Array) return { body: value, json: false };
    return { body: JSON.stringify(value), json: true };
  }

  async function attempt(
    body: string | Uint8Array,
    json: boolean,
    key: string,
    probe: boolean,
    signal: AbortSignal,
  ): Promise<Attempt> {
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const response = await pool.request({
        path,
        method: settings.method,
        headers: {
          ...(json ? { 'content-type': 'application/json' } : {}),
          ...settings.headers,
          [settings.idempotencyKeyHeader]: key,
        },
        body,
        signal: AbortSignal.any([signal, timeout]),
      });
      status = response.statusCode;
      retryAfter = retryAfterMs(response.headers['retry-after']);
      text = (await response.body.text()).slice(0, webhookSinkDefaults.maxReasonChars);
    } catch (error) {
      if (signal.aborted) throw abortedError('the webhook request', signal);
      breaker.failed(probe);
      const failure = timeout.aborted
        ? new InletError(
            WebhookSinkErrorCode.unavailable,
            `no answer from the receiver within ${settings.timeoutMs} ms`,
            { retryable: true, cause: error },
          )
        : new InletError(WebhookSinkErrorCode.unavailable, `the request failed: ${describe(error)}`, {
            retryable: true,
            cause: error,
          });
      return { failure };
    }
    if (status >= 200 && status < 300) {
      breaker.succeeded();
      return { delivery: { ok: true } };
    }
    const error = new WebhookResponseError(status, text);
    if (!isRetryableStatus(status)) {
      // The receiver works; it refuses this request.
      breaker.succeeded();
      return { delivery: { ok: false, error } };
    }
    breaker.failed(probe);
    return { failure: error, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) };
  }

  /** Waits while the circuit is open (or another request probes it), then fails retryably. */
  async function circuitOpen(retryInMs: number, signal: AbortSignal): Promise<never> {
    const waiting = new AbortController();
    const stop = () => waiting.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([sleep(retryInMs, waiting.signal), breaker.changed()]);
    } finally {
      signal.removeEventListener('abort', stop);
      waiting.abort();
    }
    if (signal.aborted) throw abortedError('the webhook write', signal);
    throw new InletError(
      WebhookSinkErrorCode.circuitOpen,
      `the circuit to ${url.host} is open after ${settings.circuitBreaker.failureThreshold} failed requests in a row; nothing was sent`,
      { retryable: true },
    );
  }

  /** Sends changes [start, end) of the batch as one request, retrying what is worth retrying. */
  async function deliver(
    batch: SinkBatch<TEvent>,
    start: number,
    end: number,
    signal: AbortSignal,
  ): Promise<Delivery> {
    const changes = batch.changes.slice(start, end);
    const first = changes[0];
    const last = changes[changes.length - 1];
    if (first === undefined || last === undefined) return { ok: true };
    const part: SinkBatch<TEvent> =
      changes.length === batch.changes.length
        ? batch
        : { ...batch, changes, nextOffset: String(Number(last.offset) + 1) };
    const { body, json } = encode(toBody(part));
    const key = idempotencyKey({
      groupId: batch.groupId,
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: first.offset,
      lastOffset: last.offset,
    });
    const { retries, minDelayMs, maxDelayMs } = settings.retry;
    for (let retry = 0; ; retry += 1) {
      if (closed !== undefined) throw closedError('webhook sink');
      const permit = breaker.permit();
      if (!permit.allowed) return circuitOpen(permit.retryInMs, signal);
      const outcome = await attempt(body, json, key, permit.probe, signal);
      if (outcome.delivery !== undefined) return outcome.delivery;
      if (retry >= retries) {
        throw new InletError(
          WebhookSinkErrorCode.unavailable,
          `the receiver at ${url.host} failed ${retry + 1} time(s) in a row; last: ${describe(outcome.failure)}`,
          { retryable: true, cause: outcome.failure },
        );
      }
      if (sinkChannels.retry.hasSubscribers)
        sinkChannels.retry.publish({
          sink: name,
          topic: batch.topic,
          partition: batch.partition,
          attempt: retry + 1,
          error: outcome.failure,
        });
      const delay = Math.min(
        maxDelayMs,
        outcome.retryAfterMs ?? backoffDelayMs(retry + 1, { minDelayMs, maxDelayMs }),
      );
      await sleep(delay, signal);
      if (signal.aborted) throw abortedError('the webhook write', signal);
    }
  }

  const sink: WebhookSink<TEvent> = {
    name,
    circuitState: () => breaker.state(),
    async write(batch: SinkBatch<TEvent>, context: SinkWriteContext) {
      if (closed !== undefined) throw closedError('webhook sink');
      const rejected: SinkRejection[] = [];
      const size = settings.maxEventsPerRequest;
      for (let start = 0; start < batch.changes.length; start += size) {
        const end = Math.min(start + size, batch.changes.length);
        const delivery = await deliver(batch, start, end, context.signal);
        if (delivery.ok) continue;
        if (end - start === 1) {
          rejected.push({ index: start, error: delivery.error });
          continue;
        }
        // A receiver does not say which change it refused: each is tried alone (per-row fallback).
        for (let index = start; index < end; index += 1) {
          const alone = await deliver(batch, index, index + 1, context.signal);
          if (!alone.ok) rejected.push({ index, error: alone.error });
        }
      }
      return { rejected };
    },
    close() {
      closed ??= pool.close();
      return closed;
    },
  };
  return sink;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
