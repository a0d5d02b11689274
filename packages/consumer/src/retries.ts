import {
  type BackoffBounds,
  backoffDelayMs,
  InletError,
  InletErrorCode,
  type InletErrorOptions,
  type InletLogger,
  sleep,
} from '@inlet/core';
import { StoreErrorCode } from '@inlet/store-errors';
import { consumerChannels } from './consumer-diagnostics';
import { ConsumerErrorCode } from './consumer-error-code';

/** What a consumer depends on besides its handler; named in errors and logs. */
export type ConsumerService =
  | 'dedup store'
  | 'version store'
  | 'transactional dedup'
  | 'dead-letter topic'
  | 'assignment hook';

/**
 * The error that stopped a consumer: a store or the dead-letter topic failed past its retries,
 * or (with dead-lettering off) an event failed past its retries. Its `code` is the cause's when
 * the cause is an Inlet error (`INLET_STORE_UNAVAILABLE`...), and the cause is kept.
 */
export class ConsumerFailedError extends InletError {
  override readonly name: string = 'ConsumerFailedError';

  constructor(code: string, message: string, options: InletErrorOptions = {}) {
    super(code, message, { ...options, retryable: false });
  }
}

/**
 * Thrown inside the consumer when work stops because its partition was revoked or the consumer
 * is closing: the event stays unfinished and is delivered again to whoever owns it next.
 */
export class AbandonedWork extends Error {
  override readonly name = 'AbandonedWork';
}

/** Errors that end an attempt loop at once: the consumer is failing, or the work was abandoned. */
export function endsRetries(error: unknown): boolean {
  return error instanceof ConsumerFailedError || error instanceof AbandonedWork;
}

/** Any thrown value as an InletError; errors that are not Inlet's count as retryable. */
export function toInletError(error: unknown, code: string = InletErrorCode.handlerFailed): InletError {
  if (InletError.is(error)) return error;
  return new InletError(code, error instanceof Error ? error.message : String(error), {
    cause: error,
    retryable: true,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface ServiceCallsOptions {
  readonly groupId: string;
  readonly retries: number;
  readonly delays: BackoffBounds;
  readonly logger: InletLogger;
  /** Called for each retry, to count it. */
  readonly onRetry: () => void;
}

/**
 * The consumer's own calls to its stores and its dead-letter topic, under one retry policy: a
 * retryable failure (by the error's `retryable` flag; errors that are not Inlet's count as
 * retryable) is tried again with backoff, up to `retries` times; after that, or at once for a
 * failure that is not retryable, the call throws {@link ConsumerFailedError} and the consumer
 * stops. When `signal` fires while a call fails, it throws {@link AbandonedWork}.
 */
export class ServiceCalls {
  readonly #options: ServiceCallsOptions;

  constructor(options: ServiceCallsOptions) {
    this.#options = options;
  }

  async call<T>(
    service: ConsumerService,
    operation: string,
    work: () => Promise<T> | T,
    signal: AbortSignal,
    /** Errors to rethrow as they are (the handler's own, inside a transactional run). */
    passThrough?: (error: unknown) => boolean,
  ): Promise<T> {
    const { retries, delays, logger, groupId } = this.#options;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (endsRetries(error) || passThrough?.(error) === true) throw error;
        if (signal.aborted) throw new AbandonedWork(`${service} ${operation} stopped: ${messageOf(error)}`);
        const failure = toInletError(error, StoreErrorCode.storeFailed);
        if (!failure.retryable || attempt > retries) {
          throw new ConsumerFailedError(
            service === 'dead-letter topic' ? ConsumerErrorCode.deadLetterFailed : failure.code,
            `${service} ${operation} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}` +
              `${failure.retryable ? '' : ' (not retryable)'}: ${failure.message}`,
            { cause: error },
          );
        }
        this.#options.onRetry();
        logger.warn(`${service} ${operation} failed; retrying`, {
          groupId,
          attempt,
          code: failure.code,
          error: failure.message,
        });
        if (consumerChannels.retry.hasSubscribers) {
          consumerChannels.retry.publish({ groupId, service, operation, attempt, error: failure });
        }
        await sleep(backoffDelayMs(attempt, delays), signal);
        if (signal.aborted) throw new AbandonedWork(`${service} ${operation} stopped: ${failure.message}`);
      }
    }
  }
}
