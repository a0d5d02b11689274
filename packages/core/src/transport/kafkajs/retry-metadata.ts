import { setTimeout as sleep } from 'node:timers/promises';
import { InletError, InletErrorCode } from '../../errors';
import type { ConnectionRetryOptions } from '../connection-options';
import { toInletError } from './classify-kafkajs-error';

/**
 * Runs a metadata or offsets lookup again while its topic is unknown or leaderless. A topic just created
 * takes a moment to reach every broker's metadata (Kafka 3.9 shows it most), and kafkajs's
 * metadata calls give up on UNKNOWN_TOPIC_OR_PARTITION at once. Waits double up to the maximum.
 */
export async function retryMetadata<T>(
  lookup: () => Promise<T>,
  retry: Required<ConnectionRetryOptions>,
): Promise<T> {
  let wait = retry.initialRetryTimeMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await lookup();
    } catch (error) {
      const classified = toInletError(error);
      const transient = InletError.hasCode(
        classified,
        InletErrorCode.kafkaUnknownTopic,
        InletErrorCode.kafkaNotLeader,
      );
      if (!transient || attempt >= retry.retries) throw classified;
      await sleep(wait);
      wait = Math.min(wait * 2, retry.maxRetryTimeMs);
    }
  }
}
