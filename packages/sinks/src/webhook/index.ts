export type { CircuitState } from './circuit-breaker';
export type { WebhookBody, WebhookChange } from './webhook-body';
export { WebhookResponseError } from './webhook-response-error';
export { createWebhookSink, type WebhookSink } from './webhook-sink';
export { WebhookSinkErrorCode } from './webhook-sink-error-code';
export {
  type WebhookCircuitBreakerOptions,
  type WebhookRetryOptions,
  type WebhookSinkOptions,
  webhookSinkDefaults,
} from './webhook-sink-options';
