import {
  type BackoffBounds,
  backoffDelayMs,
  type IncomingRecord,
  InletError,
  InletErrorCode,
  type InletLogger,
  sleep,
} from '@inlet/core';
import { consumerChannels } from './consumer-diagnostics';
import { endsRetries, toInletError } from './retries';

/** Throw this from a handler to dead-letter the event at once, without retries. */
export class UnrecoverableEventError extends InletError {
  override readonly name: string = 'UnrecoverableEventError';

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(InletErrorCode.handlerFailed, message, { ...options, retryable: false });
  }
}

/** How a handler's attempts ended, when they did not succeed. */
export interface HandlerFailure {
  readonly error: InletError;
  readonly attempts: number;
}

export interface HandlerAttemptsOptions {
  readonly groupId: string;
  readonly retries: number;
  readonly delays: BackoffBounds;
  readonly isRetryable: (error: unknown) => boolean;
  readonly logger: InletLogger;
  readonly onRetry: () => void;
}

/**
 * The retry stage for handlers: runs an attempt again after a retryable failure, with backoff,
 * up to `retries` times, and stops early when the work's signal fires. `UnrecoverableEventError`
 * and non-retryable Inlet errors end it at once. Errors that mean the consumer is stopping or the
 * work was abandoned pass through untouched.
 */
export class HandlerAttempts {
  readonly #options: HandlerAttemptsOptions;

  constructor(options: HandlerAttemptsOptions) {
    this.#options = options;
  }

  /** Runs `attemptOnce` (given the attempt number, 1 first); the final failure, or undefined. */
  async run(
    attemptOnce: (attempt: number) => Promise<void>,
    signal: AbortSignal,
    where: IncomingRecord,
  ): Promise<HandlerFailure | undefined> {
    try {
      await attemptOnce(1);
      return undefined;
    } catch (error) {
      return this.retry(error, attemptOnce, signal, where);
    }
  }

  /**
   * Goes on after a first attempt that failed with `error` (for callers that make the first
   * attempt themselves, on the per-event path): retries as `run` would.
   */
  async retry(
    error: unknown,
    attemptOnce: (attempt: number) => Promise<void>,
    signal: AbortSignal,
    where: IncomingRecord,
  ): Promise<HandlerFailure | undefined> {
    const { retries, delays, isRetryable, logger, groupId } = this.#options;
    let failure = error;
    for (let attempt = 1; ; attempt += 1) {
      if (endsRetries(failure)) throw failure;
      const failed = toInletError(failure);
      const retryable = isRetryable(failure) && !(failure instanceof UnrecoverableEventError);
      if (!retryable || attempt > retries || signal.aborted) return { error: failed, attempts: attempt };
      this.#options.onRetry();
      logger.warn('handler failed; retrying', { groupId, attempt, code: failed.code, error: failed.message });
      if (consumerChannels.retry.hasSubscribers) {
        consumerChannels.retry.publish({
          groupId,
          service: 'handler',
          operation: 'handle',
          attempt,
          error: failed,
          topic: where.topic,
          partition: where.partition,
          offset: where.offset,
        });
      }
      await sleep(backoffDelayMs(attempt, delays), signal);
      if (signal.aborted) return { error: failed, attempts: attempt };
      try {
        await attemptOnce(attempt + 1);
        return undefined;
      } catch (next) {
        failure = next;
      }
    }
  }
}
