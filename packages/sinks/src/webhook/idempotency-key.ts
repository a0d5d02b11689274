import { createHash } from 'node:crypto';

/** What names one request's changes: the group, and the partition's offset range they span. */
export interface IdempotencyKeyParts {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

/**
 * The idempotency key of a request: a hash of the group, the topic, the partition and the first
 * and last offsets it carries. A batch sent again (a retry, or a redelivery after a crash) carries
 * the same key, so that a receiver can drop the copy.
 */
export function idempotencyKey(parts: IdempotencyKeyParts): string {
  const hash = createHash('sha256');
  for (const part of [
    parts.groupId,
    parts.topic,
    String(parts.partition),
    parts.firstOffset,
    parts.lastOffset,
  ])
    hash.update(`${part.length}:${part}`);
  return hash.digest('hex').slice(0, 40);
}
