import { backoffDelayMs, InletError, InletErrorCode, sleep } from '@inlet/core';
import { toInletError } from './classify-kafkajs-error';
import type { ConnectionRetryOptions } from './connection-options';

export interface RetryMetadataOptions {
  /**
   * How long a topic may go on being unknown before the lookup gives up on it, however many
   * retries are left: long enough for a topic just created to reach the broker asked, short
   * enough that a topic that does not exist is reported at once. Default: no limit but `retry`.
   */
  readonly unknownTopicGraceMs?: number;
}

/**
 * Runs a metadata or offsets lookup again while its topic is unknown or leaderless. A topic just created
 * takes a moment to reach every broker's metadata (Kafka 3.9 shows it most), and kafkajs's
 * metadata calls give up on UNKNOWN_TOPIC_OR_PARTITION at once. Waits back off as the connection's retries do.
 */
export async function retryMetadata<T>(
  lookup: () => Promise<T>,
  retry: Required<ConnectionRetryOptions>,
  options: RetryMetadataOptions = {},
): Promise<T> {
  const started = Date.now();
  const grace = options.unknownTopicGraceMs ?? Number.POSITIVE_INFINITY;
  const bounds = { minDelayMs: retry.initialRetryTimeMs, maxDelayMs: retry.maxRetryTimeMs };
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await lookup();
    } catch (error) {
      const classified = toInletError(error);
      const unknownTopic = InletError.hasCode(classified, InletErrorCode.kafkaUnknownTopic);
      const transient = unknownTopic || InletError.hasCode(classified, InletErrorCode.kafkaNotLeader);
      if (!transient || !classified.retryable || attempt >= retry.retries) throw classified;
      const graceLeft = unknownTopic ? grace - (Date.now() - started) : Number.POSITIVE_INFINITY;
      if (graceLeft <= 0) throw classified;
      await sleep(Math.min(backoffDelayMs(attempt + 1, bounds), graceLeft));
    }
  }
}
